"""The caller's own orders (scope `cart`): anyone else's order number is a 404."""

from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from api.auth import require
from api.errors import ApiProblem
from api.http import page_meta
from api.models import Scope
from api.schemas import ERRORS, OrderDetailOut, OrderLineOut, OrderOut, OrderPage, Problem
from orders import selectors as order_selectors
from orders.models import Order

router = Router(tags=["orders"])
ORDERS_PER_PAGE_MAX = 100


class OrderPaging(Schema):
    page: int = Field(1, ge=1, le=10**6)
    per_page: int = Field(20, ge=1, le=ORDERS_PER_PAGE_MAX)


def order_out(order: Order, cls: type[OrderOut] = OrderOut, **extra) -> OrderOut:
    invoice = getattr(order, "invoice", None)
    return cls(
        number=order.number,
        status=order.status,
        currency=order.currency,
        subtotal=order.subtotal,
        shipping_cost=order.shipping_cost,
        tax=order.tax,
        total=order.total,
        created_at=order.created_at,
        paid_at=order.paid_at,
        invoice_id=invoice.pk if invoice else None,
        **extra,
    )


@router.get("/orders/", response={200: OrderPage, ERRORS: Problem}, summary="The caller's orders, newest first")
def orders(request: HttpRequest, paging: Query[OrderPaging]):
    user = require(request, Scope.CART).user
    page = Paginator(order_selectors.order_list_for_user(user=user), paging.per_page).get_page(paging.page)
    return OrderPage(items=[order_out(o) for o in page.object_list], **page_meta(page, paging.per_page))


@router.get("/orders/{number}", response={200: OrderDetailOut, ERRORS: Problem})
def order_detail(request: HttpRequest, number: str):
    user = require(request, Scope.CART).user
    try:
        order = order_selectors.order_get(scope=Q(user=user), number=number)
    except Order.DoesNotExist:
        raise ApiProblem(404, "No such order.") from None
    lines = [
        OrderLineOut(
            product_id=line.product_id,
            variant_id=line.variant_id,
            name=line.name,
            variant_label=line.variant_label,
            sku=line.sku,
            unit_price=line.unit_price,
            quantity=line.quantity,
            line_total=line.line_total,
        )
        for line in order.lines.all()
    ]
    return order_out(order, OrderDetailOut, lines=lines, shipping_address=order.address_lines)
