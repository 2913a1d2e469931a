from decimal import Decimal
from html import escape

from django import template
from django.conf import settings
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from cart.templatetags.cart import cart_add_slot
from catalog.models import Product, ProductVariant
from catalog.money import format_money
from catalog.search import search_result_count
from catalog.selectors import thumbnail_url
from pricing.templatetags.pricing import price_html

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


@register.simple_tag
def product_card(product: Product, position: int, eager: int = 0) -> SafeString:
    """One list card: image, name, price, stock and the add-to-cart slot (cart.templatetags.cart).

    `product` comes from a card list (catalog.selectors: `primary_thumbnail`, `stock`, `variant_count`); the
    first `eager` cards load their image at once (above the fold), the rest lazily. Built in Python rather
    than from a template (a list renders twenty): every text is escaped here, the price and the slot are
    markup of their own.
    """
    if src := thumbnail_url(product):
        lazy = ' loading="lazy"' if position > (eager or 0) else ""
        picture = f'<img src="{escape(src)}" alt="" width="320" height="320"{lazy}>'
    else:
        picture = '<span class="no-image" aria-hidden="true"></span>'
    if not product.in_stock:
        stock_class = " stock-out"
    elif product.low_stock:
        stock_class = " stock-low"
    else:
        stock_class = ""
    return mark_safe(  # noqa: S308 - every text escaped above and here; price_html and cart_add_slot are markup
        f'<li class="product-card"><a class="product-link" href="{escape(product.get_absolute_url())}">{picture}'
        f'<span class="product-name">{escape(product.name)}</span></a>'
        f'<p class="price">{price_html(product.price, product.current_price)}</p>'
        f'<p class="stock{stock_class}">{escape(stock_label(product))}</p>{cart_add_slot(product)}</li>'
    )


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
