from decimal import Decimal

from django import template
from django.conf import settings
from django.utils.translation import gettext as _

from catalog.models import Product, ProductVariant
from catalog.money import format_money
from catalog.search import search_result_count

register = template.Library()


@register.filter
def money(amount: Decimal) -> str:
    """A price in the shop's currency, formatted for the active language: "€1,234.50", "1.234,50 €"."""
    return format_money(amount, settings.SHOP_CURRENCY)


@register.filter
def money_in(amount: Decimal, currency: str) -> str:
    """An amount in a recorded currency (an order's snapshot), formatted like `money`."""
    return format_money(amount, currency)


@register.filter
def stock_label(product: Product | ProductVariant) -> str:
    """What a shopper needs to know about stock: out, only a few left, or in stock.

    A variant's own stock, or a product's `stock` over its variants (catalog.selectors.with_variant_summary).
    """
    if not product.in_stock:
        return _("Out of stock")
    if product.low_stock:
        return _("Only %(count)s left") % {"count": product.stock}
    return _("In stock")


@register.filter
def page_query(params, number: int) -> str:
    """The list's query string for another page of the same results."""
    return params.query(page=number)


@register.filter
def result_count(count: int, q: str) -> str:
    """The number of products a list found, as shown ("1,000+" past a ranked search's candidate cap)."""
    return search_result_count(count, q)


@register.filter
def with_q(params, q: str) -> str:
    """The list's query string for another search (the "did you mean" link), from its first page."""
    return params.query(q=q, page=1)


@register.filter
def get_item(mapping: dict, key):
    """`mapping[key]` in a template (the option pickers' chosen values); None when absent."""
    return mapping.get(key)
