"""Writes for orders: status transitions, stock reservation, invoice numbers, cancel and ship.

Locks: placing an order takes variants (by id) → voucher → invoice counter; cancel, refund and settle take
invoice → order → variants (by id) (→ voucher, on cancel); a refund's credit note takes the credit-note counter last. No
deadlock: placement's invoice and order are new rows nobody else can hold, and variants are always
locked in id order. Paying and expiry are in orders/payments.py, refunds in orders/refunds.py, the
checkout pipeline in orders/pipeline.py; none of them is imported here.
"""

import logging
import secrets
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import F
from django.db.models.functions import Now
from django.utils.translation import gettext as _

from api import webhooks
from catalog.models import ProductVariant
from discounts.services import redemption_release
from live import events as live_events
from notifications.models import Message
from notifications.services import mail_enqueue
from orders.access import order_link_path
from orders.models import TRANSITIONS, Invoice, InvoiceCounter, NumberCounter, Order, OrderTransition, Payment

logger = logging.getLogger(__name__)

# No 0/O, 1/I/L: a number read out on the phone is understood.
NUMBER_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


class OrderError(Exception):
    """A domain error whose message is shown to the person who asked."""


class IllegalTransition(OrderError):
    pass


class OutOfStock(OrderError):
    pass


def order_number_new() -> str:
    """A short random number such as "K7Q4-MZ2X": unique (a constraint), guessing one is useless (404)."""
    raw = "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(8))
    return f"{raw[:4]}-{raw[4:]}"


def actor_of(user: Any) -> str:
    return f"user {user.email}" if getattr(user, "is_authenticated", False) else "system"


# --- The status machine ----------------------------------------------------------------------------


def order_transition(*, order: Order, to: str, actor: str, note: str = "", **changes: Any) -> Order:
    """Move the order to `to` if TRANSITIONS allows it from its current status; record the history.

    Locks the order row, so two concurrent transitions cannot both start from the same status.
    `changes` are more fields to set in the same update (paid_at…).
    """
    with transaction.atomic():
        current = Order.objects.select_for_update().only("status").get(pk=order.pk)
        if to not in TRANSITIONS[current.status]:
            raise IllegalTransition(
                _("Order %(number)s is %(status)s: it cannot become %(new_status)s.")
                % {"number": order.number, "status": current.get_status_display(), "new_status": Order.Status(to).label}
            )
        Order.objects.filter(pk=order.pk).update(status=to, **changes)
        OrderTransition.objects.create(order=order, from_status=current.status, to_status=to, actor=actor, note=note)
        webhooks.order_event(order=order, status=to)
        live_events.order_changed(order)
    order.status = to
    for name, value in changes.items():
        setattr(order, name, value)
    return order


# --- Stock -------------------------------------------------------------------------------------------


def stock_reserve(items: Iterable[tuple[int, int]]) -> None:
    """Take (variant id, quantity) off stock, all or nothing, in the caller's transaction.

    One conditional UPDATE per variant (WHERE stock >= quantity): on PostgreSQL the row lock makes a
    concurrent buyer wait and re-check; on SQLite the transaction holds the write lock. The CHECK
    constraint stock >= 0 stands behind it. Rows are taken in id order, so two buyers cannot deadlock.
    `updated_at` moves with the stock, so the cached catalog pages show the new stock.
    """
    items = sorted(items)
    for variant_id, quantity in items:
        taken = ProductVariant.objects.filter(pk=variant_id, stock__gte=quantity).update(
            stock=F("stock") - quantity, updated_at=Now()
        )
        if not taken:
            variant = ProductVariant.objects.filter(pk=variant_id).select_related("product").first()
            left = variant.stock if variant else 0
            name = variant.full_name if variant else _("A product")
            if left:
                raise OutOfStock(_("%(product)s: only %(count)s left in stock.") % {"product": name, "count": left})
            raise OutOfStock(_("%(product)s is sold out.") % {"product": name})
    webhooks.stock_low_check(items)
    live_events.variant_stock_changed(variant_id for variant_id, _ in items)


def stock_release(*, order: Order) -> bool:
    """Give the order's quantities back to stock, once (the stock_held flag guards repeats)."""
    with transaction.atomic():
        if not Order.objects.filter(pk=order.pk, stock_held=True).update(stock_held=False):
            return False
        released = sorted(order.lines.values_list("variant_id", "quantity"))
        for variant_id, quantity in released:
            ProductVariant.objects.filter(pk=variant_id).update(stock=F("stock") + quantity, updated_at=Now())
        live_events.variant_stock_changed(variant_id for variant_id, _ in released)
    order.stock_held = False
    return True


# --- Invoices ------------------------------------------------------------------------------------------


def number_next(counter: type[NumberCounter]) -> int:
    """The next number of a gap-free series, in the caller's transaction: the counter row stays locked
    until commit, so a rolled-back transaction gives its number back and no two get the same."""
    if not counter.objects.filter(pk=1).update(last=F("last") + 1):
        counter.objects.get_or_create(pk=1)
        counter.objects.filter(pk=1).update(last=F("last") + 1)
    return counter.objects.values_list("last", flat=True).get(pk=1)


def invoice_create(*, order: Order) -> Invoice:
    """The order's invoice with the next invoice number."""
    return Invoice.objects.create(order=order, number=number_next(InvoiceCounter), amount_due=order.total)


# --- Mail ----------------------------------------------------------------------------------------------


def order_mail(*, order: Order, kind: str, **extra: Any) -> Message:
    """Queue one mail about the order (written in the caller's transaction, sent after commit), in the
    language the order was placed in, whoever causes it (the shopper, staff, a webhook or a task)."""
    context = {
        "name": order.ship_name,
        "order_number": order.number,
        "order_path": order.get_absolute_url(),
        "order_link": order_link_path(order) if order.user_id is None else "",  # a guest's signed link
        **extra,
    }
    return mail_enqueue(to=order.email, kind=kind, context=context, vouched_by=order, language=order.language)


# --- Staff and task operations ----------------------------------------------------------------------


def order_cancel(*, order: Order, actor: str, reason: str = "") -> Order:
    """Cancel an unpaid order: release its stock, void its invoice, tell the shopper."""
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(order=order)
        if invoice.payments.filter(status__in=Payment.IN_FLIGHT).exists():
            raise OrderError(
                _("Order %(number)s has a payment in progress; try again in a minute.") % {"number": order.number}
            )
        order_transition(order=order, to=Order.Status.CANCELLED, actor=actor, note=reason)
        stock_release(order=order)
        redemption_release(order=order)  # a single-use code used on an abandoned order can be used again
        Invoice.objects.filter(pk=invoice.pk).update(status=Invoice.Status.VOID)
        order_mail(order=order, kind=Message.Kind.ORDER_CANCELLED, reason=reason)
    return order


def order_ship(*, order: Order, actor: str) -> Order:
    with transaction.atomic():
        order_transition(order=order, to=Order.Status.SHIPPED, actor=actor)
        order_mail(order=order, kind=Message.Kind.ORDER_SHIPPED)
    return order


def order_complete(*, order: Order, actor: str) -> Order:
    return order_transition(order=order, to=Order.Status.COMPLETED, actor=actor)
