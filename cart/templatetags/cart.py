"""Add-to-cart buttons inside the catalog's cached fragments ("hole punching").

The catalog caches product markup per catalog version and shares it between visitors, but the button is
per visitor ("In cart (2)") and carries the visitor's CSRF token. So the cached markup holds only a
placeholder (`cart_add_slot`), and `{% cart_fill %}` around the `{% cache %}` tag swaps each placeholder for
the visitor's form after the fragment comes out of the cache: one query for a visitor with a cart, none
for anyone else.
"""

import re
import secrets

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from cart.selectors import cart_quantities
from cart.services import line_max
from catalog.models import ProductVariant

register = template.Library()

SLOT = re.compile(r"<!--cart-add (\d+) (list|detail) (\d*)-->")
FORM_TEMPLATE = "cart/add_form.html"
SOLD_OUT = mark_safe('<p class="cart-add"><button type="button" class="cart-add-button" disabled>Sold out</button></p>')
CHOOSE = '<p class="cart-add"><a class="cart-add-button cart-add-choose" href="{url}">Choose options</a></p>'


@register.simple_tag
def cart_add_slot(item, variant: str = "list") -> SafeString:
    """Where the visitor's add-to-cart form goes; a disabled button when it cannot be bought.

    `item` is a list card's product (annotated by catalog.selectors.with_variant_summary: a product with
    several variants links to its page to choose) or the detail page's chosen variant.
    """
    if variant not in ("list", "detail"):
        raise template.TemplateSyntaxError(f"cart_add_slot: unknown variant {variant!r}")
    if isinstance(item, ProductVariant):
        if line_max(item) < 1:
            return SOLD_OUT
        return mark_safe(f"<!--cart-add {int(item.product_id)} {variant} {int(item.pk)}-->")  # noqa: S308 - ints
    if item.is_archived or item.stock < 1:
        return SOLD_OUT
    if item.variant_count > 1:
        return format_html(CHOOSE, url=item.get_absolute_url())
    return mark_safe(f"<!--cart-add {int(item.pk)} {variant} -->")  # noqa: S308 - an int and a fixed word


class CartFillNode(template.Node):
    def __init__(self, nodelist: template.NodeList):
        self.nodelist = nodelist

    def render(self, context: template.Context) -> str:
        html = self.nodelist.render(context)
        request = context.get("request")
        if request is None or "<!--cart-add " not in html:
            return html
        quantities = cart_quantities(request)
        form = context.template.engine.get_template(FORM_TEMPLATE)
        next_url = request.get_full_path()
        # A list holds 20 forms that differ only by the product id unless that product is in the cart: render
        # the form once per variant with an unguessable stand-in for the id and copy it (a template render
        # per card cost half of the product list's time).
        stand_in = f"product{secrets.token_hex(8)}"
        blank: dict[str, str] = {}

        def render(product_id: int | str, variant: str, in_cart: int, variant_id: str = "") -> str:
            values = {"product_id": product_id, "variant": variant, "variant_id": variant_id, "next": next_url}
            with context.push(values, in_cart=in_cart, note=""):
                return form.render(context)

        def fill(match: re.Match) -> str:
            product_id, variant, variant_id = int(match[1]), match[2], match[3]
            if variant_id:  # the detail page: one form, for the chosen variant
                return render(product_id, variant, quantities.get(product_id, 0), variant_id)
            if in_cart := quantities.get(product_id, 0):
                return render(product_id, variant, in_cart)
            if variant not in blank:
                blank[variant] = render(stand_in, variant, 0)
            return blank[variant].replace(stand_in, str(product_id))

        return mark_safe(SLOT.sub(fill, html))  # noqa: S308 - our own rendered templates


@register.tag
def cart_fill(parser: template.base.Parser, token: template.base.Token) -> CartFillNode:
    """`{% cart_fill %}…{% endcart_fill %}`: put the visitor's add-to-cart forms into the slots inside."""
    nodelist = parser.parse(("endcart_fill",))
    parser.delete_first_token()
    return CartFillNode(nodelist)
