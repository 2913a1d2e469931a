"""Reads for every page: what the visitor has in the cart, for the header badge and the add-to-cart buttons."""

from django.http import HttpRequest

from cart.models import CartLine
from cart.services import cart_cookie_token


def cart_quantities(request: HttpRequest) -> dict[int, int]:
    """{product id: quantity over its variants} of the request's cart, read once per request.

    One query for a logged-in user or a visitor with a cart cookie; none for anyone else.
    """
    cached = getattr(request, "_cart_quantities", None)
    if cached is not None:
        return cached
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        lines = CartLine.objects.filter(cart__user_id=user.pk)
    elif token := cart_cookie_token(request):
        lines = CartLine.objects.filter(cart__token=token)
    else:
        lines = None
    quantities: dict[int, int] = {}
    for product_id, quantity in lines.values_list("product_id", "quantity") if lines is not None else ():
        quantities[product_id] = quantities.get(product_id, 0) + quantity
    request._cart_quantities = quantities
    return quantities


def cart_count(request: HttpRequest) -> int:
    """Units in the request's cart: the header badge's number."""
    return sum(cart_quantities(request).values())
