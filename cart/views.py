"""Cart pages: parse the request, call a service, answer with the page, its htmx fragment or a redirect.

Every change is a POST (CSRF-checked, htmx included) and sends `HX-Trigger: cart-changed`, which the
header badge listens to; without JavaScript the same forms post and redirect. Adding and removing are
recorded for the usage statistics (analytics) once the service has committed; recording costs no query.
"""

from decimal import Decimal
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.messages.storage.base import Message
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe
from django_htmx.http import trigger_client_event

from accounts.net import client_ip
from analytics.models import EventName
from analytics.services import event_record
from cart import selectors, services
from cart.forms import AddToCartForm, QuantityForm
from catalog.models import Product
from catalog.money import format_money
from discounts.engine import discounts_for
from discounts.forms import VoucherForm
from discounts.services import VoucherRefused, cart_voucher_check, voucher_apply, voucher_remove
from pricing.templatetags.pricing import price_html
from shop.rendering import render_page_or_fragment
from shop.shared import csrf_fresh_visitor

CHANGED_EVENT = "cart-changed"


# A line id no cart has: each line URL is reversed once per page with it, then copied with the line's own id.
LINE_ID_SLOT = 2**62 + 271828
LINE_URLS = {"update_url": "cart:line-update", "remove_url": "cart:line-remove", "accept_url": "cart:line-accept-price"}


def _rows(summary: services.CartSummary) -> list[dict]:
    """What each line's row shows, as plain values (prices formatted, URLs built).

    The row then renders without a URL reversed, a tag run or a model attribute looked up per line: those
    were most of a 30-line cart's time (templates look up a dict key directly, an attribute after a failed
    key lookup).
    """
    if not summary.lines:
        return []
    slot = str(LINE_ID_SLOT)
    urls = {key: reverse(name, args=[LINE_ID_SLOT]) for key, name in LINE_URLS.items()}
    rows = []
    for line, problems in summary.rows:
        product, variant = line.product, line.variant
        image = product.primary_images[0] if getattr(product, "primary_images", None) else None
        pk = str(line.pk)
        rows.append(
            {
                "line": line,
                "pk": pk,
                "problems": problems,
                "name": product.name,
                "archived": product.is_archived,
                "url": product.get_absolute_url() + (f"?variant={line.variant_id}" if variant.label else ""),
                "label": variant.label,
                "thumbnail_url": image.thumbnail.url if image is not None and image.thumbnail else "",
                "price": price_html(line.regular_price, line.unit_price),
                "quantity": str(line.quantity),
                "total": format_money(line.total, settings.SHOP_CURRENCY),
                **{key: url.replace(slot, pk) for key, url in urls.items()},
            }
        )
    return rows


def _cart_context(request: HttpRequest, cart, notices: list[Message] | None = None, voucher_form=None) -> dict:
    """The cart, its summary and savings: a voucher the cart no longer qualifies for is removed, saying so."""
    summary = services.cart_summary(cart, images=True)
    notices = list(notices or [])
    if removed := cart_voucher_check(cart, subtotal=summary.subtotal):
        notices.append(Message(messages.WARNING, removed))
    found = discounts_for(
        summary.lines,
        shipping_cost=Decimal("0.00"),
        voucher=cart.voucher if cart else None,
        tree=summary.category_tree,
    )
    return {
        "cart": cart,
        "summary": summary,
        "rows": _rows(summary),
        "notices": notices,
        "applied": found.applied,
        "saved": found.total,
        "total": summary.subtotal - found.goods,
        "voucher": found.voucher or (cart.voucher if cart else None),
        "voucher_note": found.voucher_note,
        "voucher_form": voucher_form or VoucherForm.for_page(request),
        "voucher_next": "cart",
    }


def _cart_page(request: HttpRequest, cart, notices: list[Message] | None = None) -> HttpResponse:
    return render_page_or_fragment(request, "cart/cart.html", _cart_context(request, cart, notices), fragment="cart")


def _changed(request: HttpRequest, cart, notice: str = "", level: int = messages.SUCCESS) -> HttpResponse:
    """After a change on the cart page: the cart fragment for htmx (telling the badge), else back to the cart."""
    if not request.htmx:
        if notice:
            messages.add_message(request, level, notice)
        return redirect("cart:detail")
    response = _cart_page(request, cart, [Message(level, notice)] if notice else [])
    trigger_client_event(response, CHANGED_EVENT)
    return response


def _record(request: HttpRequest, name: str, product_id: int, quantity: int, variant_id: int | None = None) -> None:
    """Usage statistics: `quantity` units of a product (and which variant) went into (cart_add) or out of
    (cart_remove) the cart."""
    if quantity > 0:
        props = {"quantity": quantity}
        if variant_id is not None:
            props["variant"] = variant_id
        event_record(request, name, object_id=product_id, props=props)


def cart_change(view):
    """A change on the cart page: POST only, on the request's own cart; a line not in it is a 404.

    The one place where the services' refusals become messages for the shopper.
    """

    @never_cache
    @require_POST
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        cart = services.cart_get(request)
        if cart is None:
            raise Http404(_("You have no cart."))
        try:
            return view(request, cart, *args, **kwargs)
        except services.LineNotFound as exc:
            raise Http404(str(exc)) from exc
        except services.CartError as exc:
            return _changed(request, cart, str(exc), messages.ERROR)

    return wrapper


@never_cache
@require_safe
def cart_detail(request: HttpRequest) -> HttpResponse:
    return _cart_page(request, services.cart_get(request))


@never_cache
@require_safe
def badge(request: HttpRequest) -> HttpResponse:
    """The header badge alone: what it fetches when it hears `cart-changed`."""
    return render(request, "cart/badge.html")


@cart_change
def line_update(request: HttpRequest, cart, line_id: int) -> HttpResponse:
    form = QuantityForm(request.POST)
    if not form.is_valid():
        return _changed(request, cart, form.errors["quantity"][0], messages.ERROR)
    change = services.line_set_quantity(cart, line_id, form.cleaned_data["quantity"])
    if change.line_id is None:  # quantity 0 removed the line: the Undo bar says so
        _record(request, EventName.CART_REMOVE, change.product.pk, -change.delta, variant_id=change.variant.pk)
    return _changed(request, cart, change.notice, messages.WARNING)


@cart_change
def line_remove(request: HttpRequest, cart, line_id: int) -> HttpResponse:
    change = services.line_remove(cart, line_id)
    _record(request, EventName.CART_REMOVE, change.product.pk, -change.delta, variant_id=change.variant.pk)
    return _changed(request, cart)  # the Undo bar says what was removed


@cart_change
def line_restore(request: HttpRequest, cart) -> HttpResponse:
    change = services.line_restore(cart)
    if change is None:
        return _changed(request, cart, _("There is nothing to undo."), messages.INFO)
    return _changed(request, cart, change.notice)


@cart_change
def line_accept_price(request: HttpRequest, cart, line_id: int) -> HttpResponse:
    services.line_accept_price(cart, line_id)
    return _changed(request, cart)


@cart_change
def cart_clear(request: HttpRequest, cart) -> HttpResponse:
    for line in services.cart_clear(cart):  # one removal per line, as if each were removed on its own
        _record(request, EventName.CART_REMOVE, line.product_id, line.quantity, variant_id=line.variant_id)
    return _changed(request, cart, _("Your cart is empty."), messages.INFO)


# --- Voucher codes (the cart page and the checkout's review step) ------------------------------------


def _shopper_email(request: HttpRequest) -> str:
    """Who the per-customer limit counts: the member, or the guest who started the checkout."""
    if request.user.is_authenticated:
        return request.user.email
    return request.session.get("checkout", {}).get("guest_email", "")


def _after_voucher(request: HttpRequest, cart, where: str, notice: str = "", form=None) -> HttpResponse:
    """htmx on the cart: the totals box again; otherwise (and at review) back to the page it came from,
    which shows a refusal on the field."""
    if request.htmx and where == "cart":
        context = _cart_context(request, cart, voucher_form=form)
        context["voucher_notice"] = notice
        response = render(request, "cart/cart.html#totals", context)
        patch_vary_headers(response, ["HX-Request"])
        return response
    if form is not None and form.errors:
        VoucherForm.flash(request, form.data.get("code", ""), form.errors["code"][0])
    elif notice:
        messages.success(request, notice)
    return redirect("orders:checkout-review" if where == "review" else "cart:detail")


@cart_change
def voucher_add(request: HttpRequest, cart) -> HttpResponse:
    form = VoucherForm(request.POST)
    where = request.POST.get("next") if request.POST.get("next") in ("cart", "review") else "cart"
    if form.is_valid():
        subtotal = services.cart_summary(cart).subtotal
        try:
            voucher = voucher_apply(
                cart,
                form.cleaned_data["code"],
                subtotal=subtotal,
                email=_shopper_email(request),
                ip=client_ip(request),
            )
        except VoucherRefused as exc:
            form.add_error("code", str(exc))
        else:
            return _after_voucher(request, cart, where, _("Code %(code)s applied.") % {"code": voucher.code})
    return _after_voucher(request, cart, where, form=form)


@cart_change
def voucher_delete(request: HttpRequest, cart) -> HttpResponse:
    where = "review" if request.POST.get("next") == "review" else "cart"
    voucher_remove(cart)
    return _after_voucher(request, cart, where, _("The code was removed."))


# --- Add to cart (product list and detail pages) -------------------------------------------------


@csrf_fresh_visitor  # a page from a shared cache posts without a token (shop/shared.py)
@never_cache
@require_POST
def line_add(request: HttpRequest) -> HttpResponse:
    """Add from a product card or page: htmx gets the button back ("In cart (n)"), others a redirect back."""
    form = AddToCartForm(request.POST)
    if form.has_error("product") or form.has_error("variant"):
        return HttpResponseBadRequest(_("Choose a product to add."), content_type="text/plain")
    product = get_object_or_404(Product, pk=form.cleaned_data["product"])
    if form.has_error("quantity"):
        return _added(request, form, product, form.errors["quantity"][0], messages.ERROR)
    try:
        variant = services.variant_for(product, form.cleaned_data.get("variant_id"))
        change = services.line_add(services.cart_get(request, create=True), variant, form.cleaned_data["quantity"])
    except services.CartError as exc:
        return _added(request, form, product, str(exc), messages.ERROR)
    # What was actually added, after any cap; the variant in the properties.
    _record(request, EventName.CART_ADD, product.pk, change.delta, variant_id=change.variant.pk)
    if change.notice:
        return _added(request, form, product, change.notice, messages.WARNING, in_cart=change.quantity)
    added = services.variant_name(change.variant)
    notice = _("Added “%(name)s” to your cart.") % {"name": added}
    return _added(request, form, product, notice, in_cart=change.quantity)


def _added(
    request: HttpRequest, form, product: Product, notice: str, level: int = messages.SUCCESS, in_cart: int | None = None
) -> HttpResponse:
    next_url = form.cleaned_data.get("next")
    if not (
        next_url
        and next_url.startswith("/")
        and url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure())
    ):
        next_url = product.get_absolute_url()
    if not request.htmx:
        messages.add_message(request, level, notice)
        # A checked path, never a URL name: resolve_url("foo") would try reverse() and raise.
        return HttpResponseRedirect(next_url)
    context = {
        "product_id": product.pk,
        "variant": form.cleaned_data.get("variant") or "list",
        "variant_id": form.cleaned_data.get("variant_id") or "",
        "next": next_url,
        "in_cart": in_cart if in_cart is not None else selectors.cart_quantities(request).get(product.pk, 0),
        "note": Message(level, notice),
        # After a change, an out-of-band copy of the button updates every placement of this product's button.
        "update_others": in_cart is not None,
    }
    response = render(request, "cart/add_form.html", context)
    patch_vary_headers(response, ["HX-Request"])
    if in_cart is not None:
        trigger_client_event(response, CHANGED_EVENT)
    return response
