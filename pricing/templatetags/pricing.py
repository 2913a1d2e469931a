from decimal import Decimal

from django import template
from django.conf import settings
from django.utils import formats

from catalog.models import Product, ProductVariant
from pricing.tax import REVERSE_CHARGE_NOTE

register = template.Library()


def _prices(item, product: Product | None) -> tuple:
    """(regular, now) of a product, a variant (with its product) or a cart line."""
    if isinstance(item, Product):
        return item.price, item.current_price
    if isinstance(item, ProductVariant):
        return item.price_now(product)
    return item.regular_price, item.unit_price  # a cart line


@register.inclusion_tag("pricing/price.html")
def price(item, product: Product | None = None) -> dict:
    """The price now; during a sale the regular price struck through beside it. "excl. VAT" for net prices."""
    regular, now = _prices(item, product)
    return {"regular": regular, "now": now, "on_sale": now < regular, "net": not settings.SHOP_PRICES_INCLUDE_TAX}


@register.filter
def percent(rate) -> str:
    """A rate as people write it in the active language: 19, 5.5 (5,5 in German); no trailing zeros."""
    return f"{Decimal(str(rate)).normalize():f}".replace(".", formats.get_format("DECIMAL_SEPARATOR"))


@register.simple_tag
def reverse_charge_note() -> str:
    return REVERSE_CHARGE_NOTE


@register.inclusion_tag("pricing/seller.html")
def seller_details() -> dict:
    """The seller's legal details (SHOP_SELLER_*), as an invoice shows them."""
    return {
        "name": settings.SHOP_SELLER_NAME or settings.SHOP_NAME,
        "address_lines": [line.strip() for line in settings.SHOP_SELLER_ADDRESS.split("|") if line.strip()],
        "vat_number": settings.SHOP_SELLER_VAT_NUMBER,
    }
