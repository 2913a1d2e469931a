from decimal import Decimal

from django import template
from django.conf import settings
from django.utils import formats
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from catalog.models import Product, ProductVariant
from catalog.money import format_money
from pricing.tax import REVERSE_CHARGE_NOTE

register = template.Library()


def _prices(item, product: Product | None) -> tuple:
    """(regular, now) of a product, a variant (with its product) or a cart line."""
    if isinstance(item, Product):
        return item.price, item.current_price
    if isinstance(item, ProductVariant):
        return item.price_now(product)
    return item.regular_price, item.unit_price  # a cart line


def price_html(regular: Decimal, now: Decimal) -> SafeString:
    """The price now; during a sale the regular price struck through beside it. "excl. VAT" for net prices.

    Written here rather than in a template: a cart or order shows one per line, and an inclusion tag's
    template render per line cost more than the rest of the line's cell.
    """
    if now < regular:
        html = format_html(
            '<del><span class="visually-hidden">{} </span>{}</del> '
            '<ins><span class="visually-hidden">{} </span>{}</ins>',
            _("Regular price"),
            format_money(regular, settings.SHOP_CURRENCY),
            _("Sale price"),
            format_money(now, settings.SHOP_CURRENCY),
        )
    else:
        html = conditional_escape(format_money(now, settings.SHOP_CURRENCY))
    if not settings.SHOP_PRICES_INCLUDE_TAX:
        html = format_html('{} <small class="tax-note">{}</small>', html, _("excl. VAT"))
    return html


@register.simple_tag
def price(item, product: Product | None = None) -> SafeString:
    """`{% price item %}`: price_html of a product, a variant (with its product) or a cart line."""
    return price_html(*_prices(item, product))


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
