"""Writes for orders: status transitions, stock reservation, invoices, cancel/ship/refund/expire.

Locks: placing an order takes products (by id) → invoice counter; cancel, refund and settle take
invoice → order → products (by id). No deadlock: placement's invoice and order are new rows nobody
else can hold, and products are always locked in id order. Payments are in
orders/payments.py; the checkout pipeline in orders/pipeline.py.
"""

import logging
import secrets
from collections.abc import Iterable
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import transaction
from django.db.models import F
from django.db.models.functions import Now
from django.utils import timezone

from catalog.models import Product
from notifications.models import Message
from notifications.services import mail_enqueue
from orders import tasks
from orders.access import order_link_path
from orders.gateways import UnknownGateway, gateway_get
from orders.gateways.base import GatewayError
from orders.models import TRANSITIONS, Invoice, InvoiceCounter, Order, OrderTransition, Payment

logger = logging.getLogger(__name__)

# No 0/O, 1/I/L: a number read out on the phone is understood.
NUMBER_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CENT = Decimal("0.01")


class OrderError(Exception):
    """A domain error whose message is shown to the person who asked."""


class IllegalTransition(OrderError):
    pass


class OutOfStock(OrderError):
    pass


def money_round(amount: Decimal) -> Decimal:
    """Round a computed amount (tax) to cents, half up: the one rounding rule of orders."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


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
                f"Order {order.number} is {current.get_status_display()}: it cannot become {Order.Status(to).label}."
            )
        Order.objects.filter(pk=order.pk).update(status=to, **changes)
        OrderTransition.objects.create(order=order, from_status=current.status, to_status=to, actor=actor, note=note)
    order.status = to
    for name, value in changes.items():
        setattr(order, name, value)
    return order


# --- Stock -------------------------------------------------------------------------------------------


def stock_reserve(items: Iterable[tuple[int, int]]) -> None:
    """Take (product id, quantity) off stock, all or nothing, in the caller's transaction.

    One conditional UPDATE per product (WHERE stock >= quantity): on PostgreSQL the row lock makes a
    concurrent buyer wait and re-check; on SQLite the transaction holds the write lock. The CHECK
    constraint stock >= 0 stands behind it. Rows are taken in id order, so two buyers cannot deadlock.
    """
    for product_id, quantity in sorted(items):
        taken = Product.objects.filter(pk=product_id, stock__gte=quantity).update(
            stock=F("stock") - quantity, updated_at=Now()
        )
        if not taken:
            product = Product.objects.filter(pk=product_id).only("name", "stock").first()
            left = product.stock if product else 0
            name = product.name if product else "A product"
            raise OutOfStock(f"{name}: only {left} left in stock." if left else f"{name} is sold out.")


def stock_release(*, order: Order) -> bool:
    """Give the order's quantities back to stock, once (the stock_held flag guards repeats)."""
    with transaction.atomic():
        if not Order.objects.filter(pk=order.pk, stock_held=True).update(stock_held=False):
            return False
        for product_id, quantity in sorted(order.lines.values_list("product_id", "quantity")):
            Product.objects.filter(pk=product_id).update(stock=F("stock") + quantity, updated_at=Now())
    order.stock_held = False
    return True


# --- Invoices ------------------------------------------------------------------------------------------


def invoice_create(*, order: Order) -> Invoice:
    """The order's invoice with the next number: the counter row is locked until commit, so no gaps."""
    if not InvoiceCounter.objects.filter(pk=1).update(last=F("last") + 1):
        InvoiceCounter.objects.get_or_create(pk=1)
        InvoiceCounter.objects.filter(pk=1).update(last=F("last") + 1)
    number = InvoiceCounter.objects.values_list("last", flat=True).get(pk=1)
    return Invoice.objects.create(order=order, number=number, amount_due=order.total)


# --- Mail ----------------------------------------------------------------------------------------------


def order_mail(*, order: Order, kind: str, **extra: Any) -> Message:
    """Queue one mail about the order (written in the caller's transaction, sent after commit)."""
    context = {
        "name": order.ship_name,
        "order_number": order.number,
        "order_path": order.get_absolute_url(),
        "order_link": order_link_path(order) if order.user_id is None else "",  # a guest's signed link
        **extra,
    }
    return mail_enqueue(to=order.email, kind=kind, context=context, vouched_by=order)


# --- Staff and task operations ----------------------------------------------------------------------


def order_cancel(*, order: Order, actor: str, reason: str = "") -> Order:
    """Cancel an unpaid order: release its stock, void its invoice, tell the shopper."""
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(order=order)
        if invoice.payments.filter(status__in=Payment.IN_FLIGHT).exists():
            raise OrderError(f"Order {order.number} has a payment in progress; try again in a minute.")
        order_transition(order=order, to=Order.Status.CANCELLED, actor=actor, note=reason)
        stock_release(order=order)
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


def order_refund(*, order: Order, actor: str) -> Order:
    """Refund a paid order in full through its gateway, then record it (stock returns if not shipped).

    The gateway is called outside any transaction; refunding twice at the gateway is harmless, and
    the transition below refuses the second time.
    """
    order.refresh_from_db(fields=["status"])
    if Order.Status.REFUNDED not in TRANSITIONS[order.status]:
        raise IllegalTransition(f"Order {order.number} is {order.get_status_display()}: it cannot be refunded.")
    payment = Payment.objects.filter(invoice__order=order, status=Payment.Status.SUCCEEDED).first()
    if payment is None:
        raise OrderError(f"Order {order.number} has no successful payment to refund.")
    try:
        gateway_get(payment.gateway).payment_refund(reference=payment.gateway_reference)
    except (GatewayError, UnknownGateway) as exc:
        logger.warning("refund of order %s refused by %s: %s", order.number, payment.gateway, exc)
        raise OrderError(f"Order {order.number} was not refunded: the payment provider said “{exc}”.") from exc
    with transaction.atomic():
        Invoice.objects.select_for_update().get(order=order)
        was = Order.objects.values_list("status", flat=True).get(pk=order.pk)
        order_transition(order=order, to=Order.Status.REFUNDED, actor=actor, note=f"refund of {payment.amount}")
        Payment.objects.filter(pk=payment.pk).update(status=Payment.Status.REFUNDED, updated_at=timezone.now())
        if was == Order.Status.PAID:
            stock_release(order=order)
        order_mail(order=order, kind=Message.Kind.ORDER_REFUNDED, amount=payment.amount)
    return order


def payment_refund_stray(*, payment: Payment, actor: str) -> Payment:
    """Give back money charged for an invoice that was no longer open (recorded by payment_settle).

    Such a charge is not the order's payment (the order is cancelled, or paid by another attempt), so
    `order_refund` cannot reach it. The gateway is called outside any transaction; the row changes once.
    """
    payment = Payment.objects.select_related("invoice").get(pk=payment.pk)
    the_orders_payment = payment.status == Payment.Status.SUCCEEDED and payment.invoice.status == Invoice.Status.PAID
    if payment.settled_at is None or payment.status == Payment.Status.REFUNDED or the_orders_payment:
        raise OrderError(f"Payment {payment.idempotency_key} is not a stray charge; refund its order instead.")
    try:
        gateway_get(payment.gateway).payment_refund(reference=payment.gateway_reference)
    except (GatewayError, UnknownGateway) as exc:
        raise OrderError(f"Payment {payment.idempotency_key} was not refunded: the provider said “{exc}”.") from exc
    Payment.objects.filter(pk=payment.pk).exclude(status=Payment.Status.REFUNDED).update(
        status=Payment.Status.REFUNDED, message=f"Stray charge refunded by {actor}."[:300], updated_at=timezone.now()
    )
    logger.info("stray charge refunded", extra={"payment": payment.pk, "actor": actor})
    return payment


def order_expire(*, order_id: int, now: datetime | None = None) -> str:
    """Cancel an unpaid order whose reservation ran out; returns what happened.

    Payments still in flight are first asked about at the gateway (outside any transaction): money
    that arrived in time wins over the expiry. If the gateway cannot say, expiry waits.
    """
    from orders.payments import payment_reconcile

    now = now or timezone.now()
    order = Order.objects.filter(pk=order_id).first()
    if order is None or order.status != Order.Status.PENDING_PAYMENT:
        return "not pending"
    if order.reserved_until > now:
        return "not due"
    for payment in Payment.objects.filter(invoice__order=order, status__in=Payment.IN_FLIGHT):
        payment_reconcile(payment=payment)
    order.refresh_from_db()
    if order.status != Order.Status.PENDING_PAYMENT:
        return "paid meanwhile"
    try:
        order_cancel(order=order, actor="reservation expiry", reason="The payment did not arrive in time.")
    except IllegalTransition:
        return "not pending"
    except OrderError:
        tasks.order_expire.using(run_after=timezone.now() + tasks.EXPIRY_RETRY).enqueue(order.pk)
        return "postponed"
    return "cancelled"


def orders_expire_due(*, now: datetime | None = None) -> dict[str, int]:
    """Expire every overdue unpaid order (the cron fallback for lost expiry tasks)."""
    now = now or timezone.now()
    outcomes: dict[str, int] = {}
    due = Order.objects.filter(status=Order.Status.PENDING_PAYMENT, reserved_until__lte=now)
    for order_id in due.values_list("pk", flat=True):
        outcome = order_expire(order_id=order_id, now=now)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes
