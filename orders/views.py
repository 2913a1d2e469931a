"""Checkout steps, payment page, the shopper's orders and the payment webhook.

Checkout keeps the shopper's choices in the session, so Back (or a reload) never loses them. Every step
is a plain form (POST, then redirect); under htmx the same URLs answer with the step's fragment and
push their URL, so moving between steps does not reload the page.
"""

import logging
import secrets
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_htmx.http import HttpResponseClientRedirect

from accounts import selectors as account_selectors
from accounts import services as account_services
from analytics.models import EventName
from analytics.services import event_record, recording_allowed, visitor_token
from cart.services import CartSummary, cart_get, cart_summary
from orders import selectors
from orders.forms import AddressChoiceForm, NewAddressForm, PayForm, ShippingForm
from orders.gateways import UnknownGateway
from orders.gateways.base import WebhookInvalid
from orders.models import Invoice, Order, Payment
from orders.payments import (
    PaymentError,
    payment_is_processing,
    payment_key,
    payment_return,
    payment_start,
    webhook_receive,
)
from orders.pipeline import (
    ADDRESS_FIELDS,
    CartEmpty,
    Checkout,
    PricesChanged,
    checkout_lines,
    checkout_place,
    checkout_quote,
    checkout_totals,
)
from orders.services import OrderError

logger = logging.getLogger(__name__)
ORDERS_PER_PAGE = 20
SESSION_KEY = "checkout"
STEPS = [("address", "orders:checkout"), ("shipping", "orders:checkout-shipping"), ("review", "orders:checkout-review")]


def _cart_url() -> str:
    return reverse("cart:detail")


def _state(request: HttpRequest) -> dict:
    return request.session.get(SESSION_KEY, {})


def _save_state(request: HttpRequest, **changes) -> None:
    request.session[SESSION_KEY] = {**_state(request), **changes}


def _step(request: HttpRequest, step: str, ctx: dict, status: int = 200) -> HttpResponse:
    """The checkout page at `step`, or only its step fragment for htmx (with the URL to show)."""
    ctx = {**ctx, "step": step, "steps": [(name, reverse(url)) for name, url in STEPS]}
    if request.htmx and not request.htmx.history_restore_request:
        response = render(request, "orders/checkout.html#step", ctx, status=status)
        response["HX-Push-Url"] = request.get_full_path()
    else:
        response = render(request, "orders/checkout.html", ctx, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _error_status(request: HttpRequest) -> int:
    # htmx swaps only 2xx answers; a plain form post gets a real 4xx with the page explaining it.
    return 200 if request.htmx else 400


def _to_cart(request: HttpRequest) -> HttpResponse:
    # Under htmx a 302 would swap the cart page into the checkout's step (wrong URL, message unseen).
    return HttpResponseClientRedirect(_cart_url()) if request.htmx else redirect(_cart_url())


def _cart_or_redirect(request: HttpRequest):
    """The cart's summary and its lines, or a redirect to the cart page when it cannot be checked out."""
    cart = cart_get(request)
    summary = cart_summary(cart)
    if not summary.lines:
        messages.info(request, "Your cart is empty.")
        return None, None, _to_cart(request)
    if summary.checkout_blocked:
        messages.warning(request, "Some items in your cart need your attention before you can check out.")
        return None, None, _to_cart(request)
    return summary, summary.lines, None  # the same lines: no second query


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


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def checkout_address(request: HttpRequest) -> HttpResponse:
    summary, _, away = _cart_or_redirect(request)
    if away:
        return away
    _record_checkout_started(request, summary)
    state = _state(request)
    addresses = list(account_selectors.address_list(user=request.user))
    initial_choice = state.get("address_choice") or (str(addresses[0].pk) if addresses else "new")
    if request.method == "POST":
        form = AddressChoiceForm(request.POST, addresses=addresses)
        new_form = NewAddressForm(request.POST)
        if form.is_valid():
            choice = form.cleaned_data["address"]
            if choice != "new":
                address = next(a for a in addresses if str(a.pk) == choice)
                snapshot = {name: getattr(address, name) for name in ADDRESS_FIELDS}
                _save_state(request, address_choice=choice, address=snapshot)
                return redirect("orders:checkout-shipping")
            if new_form.is_valid():
                data = {name: new_form.cleaned_data[name] for name in ADDRESS_FIELDS}
                if new_form.cleaned_data["save_to_book"]:
                    choice = str(account_services.address_create(user=request.user, data=data).pk)
                _save_state(request, address_choice=choice, address=data, new=data)
                return redirect("orders:checkout-shipping")
        ctx = {"form": form, "new_form": new_form}
        return _step(request, "address", ctx, status=_error_status(request))
    form = AddressChoiceForm(initial={"address": initial_choice}, addresses=addresses)
    new_form = NewAddressForm(initial=state.get("new", {}))
    return _step(request, "address", {"form": form, "new_form": new_form})


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def checkout_shipping(request: HttpRequest) -> HttpResponse:
    _, _, away = _cart_or_redirect(request)
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


def _review_context(request: HttpRequest, lines, state: dict) -> dict:
    totals = checkout_totals(lines, state["shipping"])
    return {
        "lines": lines,
        "totals": totals,
        "address": state["address"],
        "quote": checkout_quote(lines, totals),
        "token": secrets.token_urlsafe(24),
    }


def _review_state(request: HttpRequest):
    state = _state(request)
    if "address" not in state:
        return state, redirect("orders:checkout")
    if state.get("shipping") not in settings.ORDER_SHIPPING_RATES:
        return state, redirect("orders:checkout-shipping")
    return state, None


@never_cache
@login_required
@require_safe
def checkout_review(request: HttpRequest) -> HttpResponse:
    _, lines, away = _cart_or_redirect(request)
    if away:
        return away
    state, away = _review_state(request)
    if away:
        return away
    return _step(request, "review", _review_context(request, lines, state))


@never_cache
@login_required
@require_POST
def checkout_place_view(request: HttpRequest) -> HttpResponse:
    token = request.POST.get("token", "")[:64]
    placed = Order.objects.filter(user=request.user, checkout_token=token).first() if token else None
    if placed is None:
        state, away = _review_state(request)
        if away:
            return away
        checkout = Checkout(
            user=request.user,
            cart=cart_get(request),
            address=state["address"],
            shipping=state["shipping"],
            quote=request.POST.get("quote", ""),
            token=token,
            analytics_visitor=visitor_token(request) if recording_allowed(request) else "",
        )
        try:
            placed = checkout_place(checkout)
        except OrderError as exc:
            # A second click of the same form waited for the first and found the cart empty.
            placed = Order.objects.filter(user=request.user, checkout_token=token).first() if token else None
            if placed is None:
                return _refused(request, state, exc)
        else:  # this request placed it, and the pipeline's transaction has committed
            event_record(request, EventName.ORDER_PLACED, object_id=placed.pk, props={"amount": placed.total})
        request.session.pop(SESSION_KEY, None)
    url = reverse("orders:checkout-pay", args=[placed.number])
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def _refused(request: HttpRequest, state: dict, exc: OrderError) -> HttpResponse:
    if isinstance(exc, CartEmpty):
        messages.info(request, str(exc))
        return _to_cart(request)
    lines = checkout_lines(cart_get(request))
    ctx = {
        **_review_context(request, lines, state),
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
        return selectors.order_status_for_user(user=request.user, number=number)
    except Order.DoesNotExist:
        raise Http404("No such order.") from None


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def checkout_pay(request: HttpRequest, number: str) -> HttpResponse:
    """The pay step: the Pay button sends the shopper to the provider's hosted page (no card input here)."""
    order = _order_for_pay(request, number)
    if request.method == "POST":
        form = PayForm(request.POST)
        if not form.is_valid():
            problem = "This payment form is out of date. Check the order and try again."
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
        messages.success(request, "Thank you! Your payment was received.")
    else:
        messages.info(request, "Your payment is being processed; this page updates when it is confirmed.")
    return redirect(order)


@never_cache
@login_required
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
        messages.error(request, payment.message or "The payment did not go through.")
        return redirect("orders:checkout-pay", order.number)
    if payment.status == Payment.Status.PROCESSING:
        messages.info(request, "The payment was not finished. You can pay now.")
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
@login_required
@require_safe
def order_detail(request: HttpRequest, number: str) -> HttpResponse:
    """The order page; htmx polls its status fragment until the order reaches a terminal state."""
    try:
        if request.htmx and not request.htmx.boosted and not request.htmx.history_restore_request:
            order = selectors.order_status_for_user(user=request.user, number=number)
            response = render(request, "orders/order_detail.html#status", {"order": order})
        else:
            order = selectors.order_get_for_user(user=request.user, number=number)
            ctx = {"order": order, "latest": selectors.payment_latest(order=order)}
            response = render(request, "orders/order_detail.html", ctx)
    except Order.DoesNotExist:
        raise Http404("No such order.") from None
    patch_vary_headers(response, ["HX-Request"])
    return response


@never_cache
@login_required
@require_safe
def invoice_detail(request: HttpRequest, number: str) -> HttpResponse:
    try:
        order = selectors.order_get_for_user(user=request.user, number=number)
    except Order.DoesNotExist:
        raise Http404("No such order.") from None
    return render(request, "orders/invoice.html", {"order": order, "invoice": order.invoice})
