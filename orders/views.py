"""Checkout steps, payment page, the shopper's orders and the payment webhook.

Checkout keeps the shopper's choices in the session, so Back (or a reload) never loses them. Every step
is a plain form (POST, then redirect); under htmx the same URLs answer with the step's fragment and
push their URL, so moving between steps does not reload the page.
"""

import logging
import secrets
from decimal import Decimal
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_countries import countries
from django_htmx.http import HttpResponseClientRedirect

from accounts import selectors as account_selectors
from accounts import services as account_services
from accounts.forms import ClaimForm
from accounts.net import client_ip
from analytics.models import EventName
from analytics.services import event_record, recording_allowed, visitor_token
from cart.services import CartSummary, cart_get, cart_summary
from discounts.forms import VoucherForm
from discounts.services import cart_voucher_check
from orders import access, selectors
from orders.access import LookupThrottled, order_link_send, order_viewer
from orders.forms import (
    AddressChoiceForm,
    BusinessForm,
    GuestForm,
    NewAddressForm,
    OrderLookupForm,
    PayForm,
    ShippingForm,
)
from orders.gateways import UnknownGateway
from orders.gateways.base import WebhookInvalid
from orders.models import Invoice, Order, Payment
from orders.payments import (
    PaymentError,
    payment_is_processing,
    payment_key,
    payment_message,
    payment_return,
    payment_start,
    webhook_receive,
)
from orders.pipeline import (
    CartEmpty,
    Checkout,
    PricesChanged,
    checkout_lines,
    checkout_place,
    checkout_quote,
    checkout_totals,
)
from orders.services import OrderError
from shop.rendering import render_page_or_fragment, wants_fragment

logger = logging.getLogger(__name__)
ORDERS_PER_PAGE = 20
SESSION_KEY = "checkout"
STEPS = [
    ("address", pgettext_lazy("checkout step", "Address"), "orders:checkout"),
    ("shipping", pgettext_lazy("checkout step", "Shipping"), "orders:checkout-shipping"),
    ("review", pgettext_lazy("checkout step", "Review"), "orders:checkout-review"),
]


def _cart_url() -> str:
    return reverse("cart:detail")


def _state(request: HttpRequest) -> dict:
    return request.session.get(SESSION_KEY, {})


def _save_state(request: HttpRequest, **changes) -> None:
    request.session[SESSION_KEY] = {**_state(request), **changes}


def _step(request: HttpRequest, step: str, ctx: dict, status: int = 200) -> HttpResponse:
    """The checkout page at `step`, or only its step fragment for htmx (with the URL to show)."""
    ctx = {**ctx, "step": step, "steps": [(name, label, reverse(url)) for name, label, url in STEPS]}
    response = render_page_or_fragment(request, "orders/checkout.html", ctx, fragment="step", status=status)
    if wants_fragment(request):
        response["HX-Push-Url"] = request.get_full_path()
    return response


def _error_status(request: HttpRequest) -> int:
    # htmx swaps only 2xx answers; a plain form post gets a real 4xx with the page explaining it.
    return 200 if request.htmx else 400


def _to_cart(request: HttpRequest) -> HttpResponse:
    # Under htmx a 302 would swap the cart page into the checkout's step (wrong URL, message unseen).
    return HttpResponseClientRedirect(_cart_url()) if request.htmx else redirect(_cart_url())


def _cart_or_redirect(request: HttpRequest, *, buyer: bool = False):
    """The cart's summary and its lines, or a redirect: to the cart page when it cannot be checked out,
    with `buyer` to the first step while nobody has said who buys."""
    cart = cart_get(request)
    summary = cart_summary(cart)
    if not summary.lines:
        messages.info(request, _("Your cart is empty."))
        return None, None, _to_cart(request)
    if summary.checkout_blocked:
        messages.warning(request, _("Some items in your cart need your attention before you can check out."))
        return None, None, _to_cart(request)
    away = _buyer_or_start(request) if buyer else None
    return summary, summary.lines, away  # the same lines: no second query


def _record_checkout_started(request: HttpRequest, summary: CartSummary) -> None:
    """Usage statistics: the first step shown, once per checkout and visitor-day.

    Back, a reload or a form error shows the first step again: the session's checkout state remembers
    the visitor token it was recorded for. A new checkout (after an order) or a new visitor-day (the
    token lives a day) records again.
    """
    if not recording_allowed(request):
        return
    token = visitor_token(request)
    if _state(request).get("started") != token:
        _save_state(request, started=token)
        event_record(request, EventName.CHECKOUT_STARTED, props={"amount": summary.subtotal})


def _buyer_email(request: HttpRequest) -> str | None:
    """Whose checkout this is: the member's address, the guest's from the first step, or None yet."""
    if request.user.is_authenticated:
        return request.user.email
    return _state(request).get("guest_email")


def _buyer_or_start(request: HttpRequest) -> HttpResponse | None:
    """A redirect to the first step while nobody has said who buys (or may buy); None to go on."""
    if _buyer_email(request) is None or not _may_check_out(request):
        return redirect("orders:checkout-start")
    return None


def _may_check_out(request: HttpRequest) -> bool:
    """CHECKOUT_REQUIRES_VERIFIED_EMAIL: only members with a confirmed address (guests have none)."""
    if not settings.CHECKOUT_REQUIRES_VERIFIED_EMAIL:
        return True
    return request.user.is_authenticated and request.user.email_verified


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def checkout_start(request: HttpRequest) -> HttpResponse:
    """Continue as a guest, log in or create an account; a member who may check out goes on."""
    _, _, away = _cart_or_redirect(request)
    if away:
        return away
    if request.user.is_authenticated and _may_check_out(request):
        return redirect("orders:checkout")
    form = GuestForm(request.POST or None, initial={"email": _state(request).get("guest_email", "")})
    guests_welcome = not settings.CHECKOUT_REQUIRES_VERIFIED_EMAIL
    if request.method == "POST" and guests_welcome and not request.user.is_authenticated:
        if form.is_valid():
            _save_state(request, guest_email=form.cleaned_data["email"])
            return redirect("orders:checkout")
        return _step(request, "start", {"form": form, "guests_welcome": True}, status=_error_status(request))
    return _step(request, "start", {"form": form, "guests_welcome": guests_welcome})


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def checkout_address(request: HttpRequest) -> HttpResponse:
    summary, _, away = _cart_or_redirect(request, buyer=True)
    if away:
        return away
    _record_checkout_started(request, summary)
    state = _state(request)
    member = request.user.is_authenticated
    addresses = list(account_selectors.address_list(user=request.user)) if member else []
    initial_choice = state.get("address_choice") or (str(addresses[0].pk) if addresses else "new")
    if request.method == "POST":
        form = AddressChoiceForm(request.POST, addresses=addresses)
        new_form = NewAddressForm(request.POST, bookable=member)
        business_form = BusinessForm(request.POST)
        if form.is_valid() and business_form.is_valid():
            business = business_form.cleaned_data
            choice = form.cleaned_data["address"]
            if choice != "new":
                address = next(a for a in addresses if str(a.pk) == choice)
                _save_state(request, address_choice=choice, address=address.snapshot(), business=business)
                return redirect("orders:checkout-shipping")
            if new_form.is_valid():
                data = new_form.address_data()
                if new_form.cleaned_data.get("save_to_book"):
                    choice = str(account_services.address_create(user=request.user, data=data).pk)
                _save_state(request, address_choice=choice, address=data, new=data, business=business)
                return redirect("orders:checkout-shipping")
        ctx = {"form": form, "new_form": new_form, "business_form": business_form}
        return _step(request, "address", ctx, status=_error_status(request))
    form = AddressChoiceForm(initial={"address": initial_choice}, addresses=addresses)
    new_form = NewAddressForm(initial=state.get("new", {}), bookable=member)
    business_form = BusinessForm(initial=state.get("business", {}))
    return _step(request, "address", {"form": form, "new_form": new_form, "business_form": business_form})


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def checkout_shipping(request: HttpRequest) -> HttpResponse:
    _, _, away = _cart_or_redirect(request, buyer=True)
    if away:
        return away
    state = _state(request)
    if "address" not in state:
        return redirect("orders:checkout")
    if request.method == "POST":
        form = ShippingForm(request.POST)
        if form.is_valid():
            _save_state(request, shipping=form.cleaned_data["method"])
            return redirect("orders:checkout-review")
        return _step(request, "shipping", {"form": form}, status=_error_status(request))
    form = ShippingForm(initial={"method": state.get("shipping") or next(iter(settings.ORDER_SHIPPING_RATES))})
    return _step(request, "shipping", {"form": form})


def _review_context(request: HttpRequest, lines, state: dict, cart) -> dict:
    business = state.get("business", {})
    country = state["address"].get("country", "")
    # A voucher the cart no longer qualifies for comes off here, saying why beside the code box.
    removed = cart_voucher_check(cart, subtotal=sum((line.total for line in lines), Decimal("0.00")))
    voucher = cart.voucher if cart is not None else None
    totals = checkout_totals(
        lines,
        state["shipping"],
        country=country,
        vat_number=business.get("vat_number", ""),
        voucher=voucher,
        customer_email=_buyer_email(request) or "",
    )
    return {
        "business": business,
        "lines": lines,
        "totals": totals,
        "voucher_form": VoucherForm.for_page(request),
        "voucher_next": "review",
        "voucher_removed": removed,
        "address": state["address"],
        "country_name": countries.name(state["address"].get("country", "")),
        "guest_email": state.get("guest_email", ""),
        "quote": checkout_quote(lines, totals),
        "token": secrets.token_urlsafe(24),
    }


def _review_state(request: HttpRequest):
    state = _state(request)
    away = _buyer_or_start(request)
    if away:
        return state, away
    if "address" not in state:
        return state, redirect("orders:checkout")
    if state.get("shipping") not in settings.ORDER_SHIPPING_RATES:
        return state, redirect("orders:checkout-shipping")
    return state, None


@never_cache
@require_safe
def checkout_review(request: HttpRequest) -> HttpResponse:
    summary, lines, away = _cart_or_redirect(request)
    if away:
        return away
    state, away = _review_state(request)
    if away:
        return away
    return _step(request, "review", _review_context(request, lines, state, summary.cart))


def _placed(request: HttpRequest, token: str) -> Order | None:
    """The order this review page's token already placed (a double click, a retry), if any."""
    if not token:
        return None
    if request.user.is_authenticated:
        return Order.objects.filter(user=request.user, checkout_token=token).first()
    # A guest's token alone: it is random and only ever was in this browser's review page.
    return Order.objects.filter(user=None, checkout_token=token).first()


@never_cache
@require_POST
def checkout_place_view(request: HttpRequest) -> HttpResponse:
    token = request.POST.get("token", "")[:64]
    placed = _placed(request, token)
    if placed is None:
        state, away = _review_state(request)
        if away:
            return away
        member = request.user.is_authenticated
        checkout = Checkout(
            user=request.user if member else None,
            email="" if member else state["guest_email"],
            cart=cart_get(request),
            address=state["address"],
            business=state.get("business", {}),
            shipping=state["shipping"],
            quote=request.POST.get("quote", ""),
            token=token,
            analytics_visitor=visitor_token(request) if recording_allowed(request) else "",
        )
        try:
            placed = checkout_place(checkout)
        except OrderError as exc:
            # A second click of the same form waited for the first and found the cart empty.
            placed = _placed(request, token)
            if placed is None:
                return _refused(request, state, exc)
        else:  # this request placed it, and the pipeline's transaction has committed
            event_record(request, EventName.ORDER_PLACED, object_id=placed.pk, props={"amount": placed.total})
        request.session.pop(SESSION_KEY, None)
    if placed.user_id is None:
        access.grant(request, placed, access.PLACED)
    url = reverse("orders:checkout-pay", args=[placed.number])
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def _refused(request: HttpRequest, state: dict, exc: OrderError) -> HttpResponse:
    if isinstance(exc, CartEmpty):
        messages.info(request, str(exc))
        return _to_cart(request)
    cart = cart_get(request)
    lines = checkout_lines(cart)
    ctx = {
        **_review_context(request, lines, state, cart),
        "problem": str(exc),
        "prices_changed": isinstance(exc, PricesChanged),
    }
    return _step(request, "review", ctx, status=200 if request.htmx else 409)


# --- Payment -------------------------------------------------------------------------------------------


def _pay_context(order: Order, problem: str = "") -> dict:
    invoice = order.invoice
    payable = order.status == Order.Status.PENDING_PAYMENT and invoice.status == Invoice.Status.OPEN
    key = payment_key(invoice=invoice) if payable else ""
    return {
        "order": order,
        "invoice": invoice,
        "payable": payable,
        "form": PayForm(initial={"key": key}),
        "problem": problem,
        "processing": payment_is_processing(selectors.payment_latest(order=order)),
        # The shopper is sent to a test-mode provider: the page says so before they go.
        "sandbox": settings.PAYMENT_GATEWAY == "sandbox",
    }


def _order_for_pay(request: HttpRequest, number: str) -> Order:
    try:
        return selectors.order_status(scope=request.order_scope, number=number)
    except Order.DoesNotExist:
        raise Http404("No such order.") from None


@never_cache
@order_viewer  # the owner, or the guest's browser holding a grant
@require_http_methods(["GET", "HEAD", "POST"])
def checkout_pay(request: HttpRequest, number: str) -> HttpResponse:
    """The pay step: the Pay button sends the shopper to the provider's hosted page (no card input here)."""
    order = _order_for_pay(request, number)
    if request.method == "POST":
        form = PayForm(request.POST)
        if not form.is_valid():
            problem = _("This payment form is out of date. Check the order and try again.")
            return render(request, "orders/pay.html", _pay_context(order, problem), status=_error_status(request))
        key = form.cleaned_data["key"]
        back = reverse("orders:checkout-pay-return", args=[order.number]) + "?" + urlencode({"key": key})
        try:
            payment = payment_start(order=order, key=key, return_url=request.build_absolute_uri(back))
        except PaymentError as exc:
            order.refresh_from_db()
            order.invoice.refresh_from_db()
            status = 200 if request.htmx else 402
            return render(request, "orders/pay.html", _pay_context(order, problem=str(exc)), status=status)
        if payment.status == Payment.Status.PROCESSING and payment.redirect_url:
            return redirect(payment.redirect_url)
        return _to_order_after(request, order, payment)
    if order.status != Order.Status.PENDING_PAYMENT:
        return redirect(order)
    return render(request, "orders/pay.html", _pay_context(order))


def _to_order_after(request: HttpRequest, order: Order, payment: Payment) -> HttpResponse:
    if payment.status == Payment.Status.SUCCEEDED:
        messages.success(request, _("Thank you! Your payment was received."))
    else:
        messages.info(request, _("Your payment is being processed; this page updates when it is confirmed."))
    return redirect(order)


@never_cache
@order_viewer
@require_safe
def checkout_pay_return(request: HttpRequest, number: str) -> HttpResponse:
    """Where the provider sends the shopper back: ask it how the payment stands, then show the outcome.

    Visiting it again changes nothing; another shopper's order is a 404.
    """
    order = _order_for_pay(request, number)
    payment = payment_return(order=order, key=request.GET.get("key", ""))
    if payment is None:
        return redirect("orders:checkout-pay", order.number)
    if payment.status == Payment.Status.FAILED:
        messages.error(request, payment_message(payment) or _("The payment did not go through."))
        return redirect("orders:checkout-pay", order.number)
    if payment.status == Payment.Status.PROCESSING:
        messages.info(request, _("The payment was not finished. You can pay now."))
        return redirect("orders:checkout-pay", order.number)
    return _to_order_after(request, order, payment)


@csrf_exempt
@require_POST
def payment_webhook(request: HttpRequest, gateway: str) -> HttpResponse:
    """The provider's webhook. A bad signature, a stale timestamp or a replay changes nothing."""
    try:
        outcome = webhook_receive(gateway_name=gateway, body=request.body, headers=request.headers)
    except UnknownGateway:
        raise Http404("No such payment gateway.") from None
    except WebhookInvalid as exc:
        logger.warning("webhook refused", extra={"gateway": gateway, "reason": str(exc)})
        return HttpResponseBadRequest(str(exc), content_type="text/plain")
    return HttpResponse(outcome, content_type="text/plain")


# --- The shopper's orders -------------------------------------------------------------------------------


@never_cache
@login_required
@require_safe
def order_list(request: HttpRequest) -> HttpResponse:
    """The shopper's orders, newest first, ORDERS_PER_PAGE a page (a page past the end shows the last one)."""
    orders = selectors.order_list_for_user(user=request.user)
    page = Paginator(orders, ORDERS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "orders/order_list.html", {"page": page})


@never_cache
@order_viewer
@require_safe
def order_detail(request: HttpRequest, number: str) -> HttpResponse:
    """The order page; htmx polls its status fragment until the order reaches a terminal state."""
    scope = request.order_scope
    try:
        if request.htmx and not request.htmx.boosted and not request.htmx.history_restore_request:
            order = selectors.order_status(scope=scope, number=number)
            response = render(request, "orders/order_detail.html#status", {"order": order})
        else:
            order = selectors.order_get(scope=scope, number=number)
            ctx = {"order": order, "latest": selectors.payment_latest(order=order), **_guest_context(request, order)}
            response = render(request, "orders/order_detail.html", ctx)
    except Order.DoesNotExist:
        raise Http404("No such order.") from None
    patch_vary_headers(response, ["HX-Request"])
    return response


def _guest_context(request: HttpRequest, order: Order, claim_form: ClaimForm | None = None) -> dict:
    """A guest order shows its link to keep and, to a visitor without an account, the claim form."""
    if order.user_id is not None:
        return {}
    claimable = not request.user.is_authenticated
    return {
        "order_link": access.order_link_path(order),
        "claim_form": (claim_form or ClaimForm(email=order.email)) if claimable else None,
    }


def _viewed_order(request: HttpRequest, number: str) -> Order:
    """The order in the URL within what `order_viewer` allowed, or 404."""
    try:
        return selectors.order_get(scope=request.order_scope, number=number)
    except Order.DoesNotExist:
        raise Http404("No such order.") from None


@never_cache
@order_viewer
@require_safe
def invoice_detail(request: HttpRequest, number: str) -> HttpResponse:
    order = _viewed_order(request, number)
    return render(request, "orders/invoice.html", {"order": order, "invoice": order.invoice})


# --- Orders without an account: the signed link, the lookup, claiming ------------------------------------


@never_cache
@require_safe
def order_link(request: HttpRequest, token: str) -> HttpResponse:
    """A signed link opens its order in this browser; a forged or stale one says so and shows nothing."""
    try:
        number = access.order_link_number(token)
        order = Order.objects.get(number=number)
    except access.LinkExpired as exc:
        return render(request, "orders/link_invalid.html", {"problem": str(exc), "expired": True}, status=410)
    except (access.LinkInvalid, Order.DoesNotExist):
        problem = _("This order link is not valid. Check that you copied all of it.")
        return render(request, "orders/link_invalid.html", {"problem": problem}, status=400)
    access.grant(request, order, access.MAILED_LINK)
    return redirect(order)


LOOKUP_SENT = gettext_lazy(
    "If that order number and e-mail address belong together, a link to the order is on its way to that "
    "address. It can take a few minutes; look in the spam folder too."
)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def order_lookup(request: HttpRequest) -> HttpResponse:
    """Order number + e-mail → the order's link by mail. The answer never tells whether they matched."""
    form = OrderLookupForm(request.POST or None)
    if request.method != "POST":
        return render(request, "orders/lookup.html", {"form": form})
    if not form.is_valid():
        return render(request, "orders/lookup.html", {"form": form}, status=400)
    try:
        order_link_send(ip=client_ip(request), **form.cleaned_data)
    except LookupThrottled as exc:
        response = render(request, "orders/lookup.html", {"form": form, "problem": str(exc)}, status=429)
        response["Retry-After"] = str(settings.ORDER_LOOKUP_WINDOW)
        return response
    return render(request, "orders/lookup.html", {"form": OrderLookupForm(), "sent": LOOKUP_SENT})


@sensitive_post_parameters("password1", "password2")
@never_cache
@order_viewer
@require_POST
def order_claim(request: HttpRequest, number: str) -> HttpResponse:
    """ "Save my details, set a password": the guest becomes an account that owns the order."""
    order = _viewed_order(request, number)
    if order.user_id is not None or request.user.is_authenticated:
        return redirect(order)
    form = ClaimForm(request.POST, email=order.email)
    if form.is_valid():
        try:
            user = account_services.guest_order_claim(
                order=order,
                password=form.cleaned_data["password1"],
                name=form.cleaned_data["name"],
                mailbox_proven=access.granted_by(request, number) == access.MAILED_LINK,
            )
        except account_services.EmailTaken as exc:
            form.add_error(None, _("%(error)s Log in to see your orders there.") % {"error": exc})
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Your account is ready, and this order is in it."))
            return redirect(order)
    ctx = {"order": order, "latest": selectors.payment_latest(order=order), **_guest_context(request, order, form)}
    return render(request, "orders/order_detail.html", ctx, status=400)
