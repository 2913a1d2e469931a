from django.conf import settings
from django.http import HttpRequest


def shop(request: HttpRequest) -> dict:
    """The shop's name and currency, for every template."""
    return {"SHOP_NAME": settings.SHOP_NAME, "SHOP_CURRENCY": settings.SHOP_CURRENCY}
