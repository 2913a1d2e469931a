"""The caller's cart: /user/{uid}/cart/ with uid their own id (anyone else's is a 404), scope `cart`."""

from django.conf import settings
from django.http import HttpRequest
from ninja import Router, Status

from api.auth import own_user_id
from api.errors import ApiProblem
from api.http import idempotent
from api.models import Scope
from api.schemas import ERRORS, CartChangeOut, CartItemIn, CartItemOut, CartItemUpdate, CartOut, CartProblem, Problem
from cart import services as cart_services
from cart.models import Cart, CartLine
from catalog.models import Product

router = Router(tags=["cart"])


def _cart(request: HttpRequest, uid: int, *, create: bool = False) -> Cart | None:
    own_user_id(request, uid, Scope.CART)
    return cart_services.cart_get(request, create=create)


def _item_out(line: CartLine, problems: list[cart_services.Problem]) -> CartItemOut:
    return CartItemOut(
        id=line.pk,
        product_id=line.product_id,
        variant_id=line.variant_id,
        sku=line.variant.sku,
        name=line.product.name,
        variant_label=line.variant.label,
        quantity=line.quantity,
        unit_price=line.unit_price,
        total=line.total,
        problems=[CartProblem(kind=p.kind, message=p.message, blocks_checkout=p.blocks_checkout) for p in problems],
    )


def _change_out(change: cart_services.LineChange) -> CartChangeOut:
    return CartChangeOut(
        id=change.line_id,
        product_id=change.product.pk,
        variant_id=change.variant.pk,
        quantity=change.quantity,
        notice=change.notice,
    )


@router.get("/user/{uid}/cart/", response={200: CartOut, ERRORS: Problem}, summary="The cart's items")
def cart_detail(request: HttpRequest, uid: int):
    summary = cart_services.cart_summary(_cart(request, uid))
    return CartOut(
        items=[_item_out(line, problems) for line, problems in summary.rows],
        count=summary.count,
        subtotal=summary.subtotal,
        currency=settings.SHOP_CURRENCY,
        checkout_blocked=summary.checkout_blocked,
    )


@router.post("/user/{uid}/cart/", response={201: CartChangeOut, ERRORS: Problem}, summary="Put a product in the cart")
@idempotent
def cart_add(request: HttpRequest, uid: int, body: CartItemIn):
    cart = _cart(request, uid, create=True)
    product = Product.objects.filter(pk=body.product_id).first()
    if product is None:
        raise ApiProblem(404, "No such product.")
    variant = cart_services.variant_for(product, body.variant_id)
    return 201, _change_out(cart_services.line_add(cart, variant, body.quantity))


@router.get("/user/{uid}/cart/{item_id}", response={200: CartItemOut, ERRORS: Problem})
def cart_item(request: HttpRequest, uid: int, item_id: int):
    summary = cart_services.cart_summary(_cart(request, uid))
    for line, problems in summary.rows:
        if line.pk == item_id:
            return _item_out(line, problems)
    raise ApiProblem(404, "That item is not in your cart.")


@router.put("/user/{uid}/cart/{item_id}", response={200: CartChangeOut, ERRORS: Problem}, summary="Change the quantity")
def cart_item_update(request: HttpRequest, uid: int, item_id: int, body: CartItemUpdate):
    cart = _cart(request, uid)
    if cart is None:
        raise ApiProblem(404, "That item is not in your cart.")
    return _change_out(cart_services.line_set_quantity(cart, item_id, body.quantity))


@router.delete("/user/{uid}/cart/{item_id}", response={204: None, ERRORS: Problem}, summary="Remove the item")
def cart_item_delete(request: HttpRequest, uid: int, item_id: int):
    cart = _cart(request, uid)
    if cart is None:
        raise ApiProblem(404, "That item is not in your cart.")
    cart_services.line_remove(cart, item_id)
    return Status(204, None)
