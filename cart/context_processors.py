from django.http import HttpRequest

from cart.selectors import cart_count


def cart(request: HttpRequest) -> dict:
    """The header badge's count, read only when a template shows it (a callable: templates call it)."""
    return {"cart_count": lambda: cart_count(request)}
