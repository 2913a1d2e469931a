from django.conf import settings
from django.http import HttpRequest


def shop(request: HttpRequest) -> dict:
    """The shop's currency, for every template (the name and brand come from storefront's processor)."""
    return {"SHOP_CURRENCY": settings.SHOP_CURRENCY}
