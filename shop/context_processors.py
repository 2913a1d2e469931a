from django.conf import settings
from django.http import HttpRequest


def shop(request: HttpRequest) -> dict:
    """The shop's currency, for every template (the name and brand come from storefront's processor)."""
    return {"SHOP_CURRENCY": settings.SHOP_CURRENCY}


def csrf(request: HttpRequest) -> dict:
    """`shared_page`, and no CSRF token on a page rendered for a shared cache (shop/shared.py).

    Django's own processor runs first and offers a lazy token; here "NOTPROVIDED" (which `{% csrf_token %}`
    renders as nothing) takes its place, so no template can set the CSRF cookie on such a page.
    """
    if getattr(request, "shared_page", False):
        return {"shared_page": True, "csrf_token": "NOTPROVIDED"}
    return {"shared_page": False}
