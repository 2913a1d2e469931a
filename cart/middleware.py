"""The anonymous cart cookie: a random token of its own (not session data), so the cart outlives the session."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from cart.services import CART_COOKIE


class CartCookieMiddleware:
    """Sets `request.cart_cookie` (a token: set and slide; "": delete) on the response.

    `cart.services.cart_get(create=True)` and `cart_merge_at_login` decide; this only writes the header.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        token = getattr(request, "cart_cookie", None)
        if token:
            response.set_cookie(
                CART_COOKIE,
                token,
                max_age=settings.CART_COOKIE_AGE,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        elif token == "" and CART_COOKIE in request.COOKIES:
            response.delete_cookie(CART_COOKIE, samesite="Lax")
        return response
