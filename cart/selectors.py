"""Reads for every page: what the visitor has in the cart, for the header badge and the add-to-cart buttons."""

from django.http import HttpRequest

from cart.models import CartLine
from cart.services import cart_cookie_token

_UNREAD = object()


def cart_quantities(request: HttpRequest) -> dict[int, int]:
    """{product id: quantity over its variants} of the request's cart, read once per request.

    One query for a logged-in user or a visitor with a cart cookie; none for anyone else, nor once the
    request has loaded its cart's lines (the cart page, checkout) or found it has no cart.
    """
    cached = getattr(request, "_cart_quantities", None)
    if cached is not None:
        return cached
    user = getattr(request, "user", None)
    read = getattr(request, "_cart_read", _UNREAD)  # the cart cart.services.cart_get found, if it ran
    if read is None:
        lines = None  # no cart: nothing to count
    elif read is not _UNREAD and getattr(read, "_lines", None) is not None:
        quantities = {}
        for line in read._lines:  # the cart page's lines, already loaded: no query
            quantities[line.product_id] = quantities.get(line.product_id, 0) + line.quantity
        return quantities
    elif user is not None and user.is_authenticated:
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
