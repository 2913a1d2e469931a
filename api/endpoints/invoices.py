"""Invoices (an order's bill, from the caller's cart through the checkout pipeline) and paying them.

Paying starts an attempt at the provider and answers with the provider's page; the outcome arrives as for
the site: the provider's webhook, the return URL, or reconciliation.
"""

from urllib.parse import urlencode

from django.http import HttpRequest
from django.urls import reverse
from ninja import Router
from ninja.errors import HttpError

from accounts import selectors as account_selectors
from accounts.forms import AddressForm
from accounts.models import Address
from analytics.models import EventName
from analytics.services import event_record_for
from api.auth import require
from api.errors import ApiProblem
from api.http import idempotent
from api.models import Scope
from api.schemas import ERRORS, InvoiceIn, InvoiceOut, PaymentOut, Problem
from cart.services import cart_get
from orders.models import Invoice, Order
from orders.payments import PaymentDeclined, payment_key, payment_start
from orders.pipeline import (
    Checkout,
    checkout_lines,
    checkout_place,
    checkout_quote,
    checkout_totals,
    shipping_rates,
)

router = Router(tags=["invoices"])
PAY_ERRORS = ERRORS | {402}


def invoice_out(invoice: Invoice) -> InvoiceOut:
    order = invoice.order
    return InvoiceOut(
        id=invoice.pk,
        number=invoice.display_number,
        order=order.number,
        status=invoice.status,
        amount_due=invoice.amount_due,
        currency=order.currency,
        issued_at=invoice.issued_at,
        paid_at=invoice.paid_at,
    )


def _own_invoice(request: HttpRequest, invoice_id: int) -> Invoice:
    user = require(request, Scope.CART).user
    invoice = Invoice.objects.select_related("order").filter(pk=invoice_id, order__user=user).first()
    if invoice is None:
        raise ApiProblem(404, "No such invoice.")
    return invoice


def _address(request: HttpRequest, body: InvoiceIn) -> dict[str, str]:
    if body.address_id is not None:
        try:
            address = account_selectors.address_get(user=request.auth.user, pk=body.address_id)
        except Address.DoesNotExist:
            raise ApiProblem(404, "No such address.") from None
        return address.snapshot()
    if body.address is None:
        raise ApiProblem(422, "Give address_id or address.")
    # The site's address rules (countries, postcode formats, phone numbers): the same form.
    form = AddressForm(data=body.address.model_dump())
    if not form.is_valid():
        errors = [
            {"loc": ["body", "address", f], "msg": " ".join(m), "type": "invalid"} for f, m in form.errors.items()
        ]
        raise ApiProblem(422, "The address is not valid.", errors=errors)
    return form.save(commit=False).snapshot()


@router.post("/invoices", response={201: InvoiceOut, ERRORS: Problem}, summary="Create an invoice")
@idempotent
def invoice_create(request: HttpRequest, body: InvoiceIn):
    """`order`: the invoice of an order of yours. Otherwise the checkout of your cart: the order is placed
    (stock reserved for ORDER_RESERVATION_TTL) and its invoice returned. Without `quote`, today's prices."""
    user = require(request, Scope.CART).user
    if body.order is not None:
        order = Order.objects.select_related("invoice").filter(user=user, number=body.order).first()
        if order is None:
            raise ApiProblem(404, "No such order.")
        return 201, invoice_out(order.invoice)
    cart = cart_get(request)
    lines = checkout_lines(cart)
    if body.shipping not in shipping_rates():
        raise ApiProblem(422, f"shipping must be one of {', '.join(shipping_rates())}.")
    voucher = cart.voucher if cart is not None else None  # a code the shopper entered on the site
    quote = body.quote or (
        checkout_quote(lines, checkout_totals(lines, body.shipping, voucher=voucher)) if lines else ""
    )
    checkout = Checkout(user=user, cart=cart, address=_address(request, body), shipping=body.shipping, quote=quote)
    order = checkout_place(checkout)
    # As the site's checkout does once the order is placed (the usage statistics' funnel).
    event_record_for(name=EventName.ORDER_PLACED, user_id=user.pk, object_id=order.pk, props={"amount": order.total})
    return 201, invoice_out(Invoice.objects.select_related("order").get(order=order))


@router.get("/invoices/{invoice_id}", response={200: InvoiceOut, ERRORS: Problem})
def invoice_detail(request: HttpRequest, invoice_id: int):
    return invoice_out(_own_invoice(request, invoice_id))


@router.post("/invoices/{invoice_id}/pay", response={200: PaymentOut, PAY_ERRORS: Problem}, summary="Pay an invoice")
@idempotent
def invoice_pay(request: HttpRequest, invoice_id: int):
    """Start (or resume) the payment at the provider: send the shopper to `redirect_url`.

    Idempotent: every call until the attempt ends returns the same attempt and page. The outcome arrives
    by the provider's webhook; poll GET /invoices/{id} or GET /orders/{number} for it.
    """
    invoice = _own_invoice(request, invoice_id)
    order = invoice.order
    key = payment_key(invoice=invoice)
    back = reverse("orders:checkout-pay-return", args=[order.number]) + "?" + urlencode({"key": key})
    try:
        payment = payment_start(order=order, key=key, return_url=request.build_absolute_uri(back))
    except PaymentDeclined as exc:
        raise HttpError(402, str(exc)) from None
    return 200, PaymentOut(
        id=payment.pk,
        invoice_id=invoice.pk,
        status=payment.status,
        amount=payment.amount,
        redirect_url=payment.redirect_url or None,
    )
