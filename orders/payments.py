"""Paying invoices: one attempt per idempotency key, one settle function for every path.

The browser's Pay (payment_pay), the provider's webhook (webhook_receive) and the reconciliation job
(payment_reconcile) all end in payment_apply → payment_settle / payment_fail. Those lock the invoice
row and change nothing when the payment is already settled, so whichever arrives first wins and the
others are no-ops. The gateway is never called inside a transaction.

Usage statistics: an attempt that succeeds records payment_succeeded, one that fails payment_failed,
each exactly once (only the call that changed the attempt's state records) and after commit.
"""

import logging
from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from analytics.models import EventName
from analytics.services import event_record_for
from notifications.models import Message
from orders.gateways import gateway_get
from orders.gateways.base import Card, GatewayError, GatewayPayment, GatewayTimeout
from orders.models import Invoice, Order, Payment, WebhookEvent
from orders.services import OrderError, order_mail, order_transition

logger = logging.getLogger(__name__)


class PaymentError(OrderError):
    """The payment did not go through; the message says why and what to do."""


class PaymentDeclined(PaymentError):
    pass


class PaymentUnavailable(PaymentError):
    pass


class PaymentNotAllowed(PaymentError):
    pass


def payment_key(*, invoice: Invoice) -> str:
    """The idempotency key of the invoice's next attempt: the same for every tab, click and retry.

    It changes only once an attempt has failed, so a retry after a decline is a new attempt while a
    double-click, a second tab or a browser retry all repeat the current one.
    """
    failed = invoice.payments.filter(status=Payment.Status.FAILED).count()
    return f"{invoice.display_number}-{failed + 1}"


def payment_payable(*, invoice: Invoice, now=None) -> None:
    """Raise PaymentNotAllowed unless the invoice can be paid now."""
    order = invoice.order
    now = now or timezone.now()
    if invoice.status == Invoice.Status.PAID:
        raise PaymentNotAllowed(f"Order {order.number} is already paid.")
    if order.status != Order.Status.PENDING_PAYMENT or invoice.status != Invoice.Status.OPEN:
        raise PaymentNotAllowed(f"Order {order.number} is {order.get_status_display()}; it can no longer be paid.")
    if order.reserved_until <= now:
        raise PaymentNotAllowed(
            f"The reservation of order {order.number} has expired; the items are no longer held for you."
        )


def payment_pay(*, order: Order, key: str, card: Card) -> Payment:
    """Pay the order's invoice with a card, once per key. Returns the attempt; raises PaymentError.

    1. A short transaction under the invoice's row lock claims the attempt (a row with a unique key,
       at most one in flight per invoice): concurrent submissions of the same key find it and stop.
    2. The gateway is called with no transaction open.
    3. Its answer goes through payment_apply, the same path the webhook and reconciliation take.
    """
    gateway = gateway_get()
    earlier = Payment.objects.filter(idempotency_key=key, invoice__order=order).first()
    if earlier is not None and earlier.status == Payment.Status.UNKNOWN:
        # A retry after a timeout: ask the gateway how that attempt ended before anything else.
        payment_reconcile(payment=earlier)
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().select_related("order").get(order=order)
        existing = Payment.objects.filter(idempotency_key=key, invoice=invoice).first()
        if existing is not None:
            return _outcome(existing)
        payment_payable(invoice=invoice)
        if key != payment_key(invoice=invoice):
            raise PaymentNotAllowed("This payment form is out of date. Check the order and try again.")
        if invoice.payments.filter(status__in=Payment.IN_FLIGHT).exists():
            raise PaymentNotAllowed("A payment for this order is already in progress. Wait a moment.")
        try:
            with transaction.atomic():
                payment = Payment.objects.create(
                    invoice=invoice,
                    gateway=gateway.name,
                    idempotency_key=key,
                    amount=invoice.amount_due,
                    card_last4=card.last4,
                )
        except IntegrityError:
            # Another request claimed this key or this invoice at the same moment.
            raise PaymentNotAllowed("A payment for this order is already in progress. Wait a moment.") from None
    try:
        created = gateway.payment_create(
            idempotency_key=key,
            amount=payment.amount,
            currency=order.currency,
            description=f"{settings.SHOP_NAME} order {order.number}",
        )
        Payment.objects.filter(pk=payment.pk).update(gateway_reference=created.reference, updated_at=timezone.now())
        answer = gateway.payment_confirm(reference=created.reference, card=card)
    except GatewayTimeout:
        _move(payment, to=Payment.Status.UNKNOWN, message="The payment service did not answer in time.")
        logger.warning("payment gateway timeout", extra={"payment": payment.pk, "order": order.number})
        # Ask once how it ended; if the gateway cannot say either, reconciliation will.
        payment_reconcile(payment=payment)
        payment.refresh_from_db()
        if payment.status == Payment.Status.UNKNOWN:
            raise PaymentUnavailable(
                "The payment service did not answer in time. We are checking whether the payment went "
                "through; this page will show the result. Try again in a moment."
            ) from None
        if payment.status == Payment.Status.FAILED:
            raise PaymentUnavailable(
                "The payment service did not answer in time. Your card was not charged. Please try again."
            ) from None
        return _outcome(payment)
    except GatewayError as exc:
        _fail(payment, message=str(exc)[:300], order=order)
        raise PaymentDeclined(str(exc)) from None
    payment_apply(payment=payment, answer=answer)
    payment.refresh_from_db()
    return _outcome(payment)


def _outcome(payment: Payment) -> Payment:
    """The attempt, or the error the shopper should see for it."""
    if payment.status == Payment.Status.FAILED:
        raise PaymentDeclined(payment.message or "The payment was declined.")
    if payment.status == Payment.Status.UNKNOWN:
        raise PaymentUnavailable("We are still waiting for the payment service to answer. Try again in a moment.")
    return payment


def payment_is_processing(payment: Payment | None) -> bool:
    return payment is not None and payment.status in Payment.IN_FLIGHT


def _move(payment: Payment, *, to: str, message: str = "") -> bool:
    """Move an in-flight attempt to another state; a settled or failed attempt stays as it is."""
    changes = {"status": to, "updated_at": timezone.now()}
    if message:
        changes["message"] = message
    return bool(Payment.objects.filter(pk=payment.pk, status__in=Payment.IN_FLIGHT).update(**changes))


def _fail(payment: Payment, *, message: str, order: Order | None = None) -> bool:
    """Mark an in-flight attempt failed; the call that does so records payment_failed (once per attempt)."""
    if not _move(payment, to=Payment.Status.FAILED, message=message):
        return False
    if order is None:
        order = Order.objects.only("pk", "user_id", "analytics_visitor").get(invoice__id=payment.invoice_id)
    _record(order, EventName.PAYMENT_FAILED, payment.amount)
    return True


def _record(order: Order, name: str, amount: Decimal) -> None:
    """Usage statistics for the visitor who placed the order, after commit; nothing if they opted out.

    No request here (webhook, reconciliation, worker): the order remembers the visitor token.
    """
    if not order.analytics_visitor:
        return
    event = {
        "name": name,
        "user_id": order.user_id,
        "visitor": order.analytics_visitor,
        "object_id": order.pk,
        "props": {"amount": amount},
    }
    transaction.on_commit(lambda: event_record_for(**event))


def payment_apply(*, payment: Payment, answer: GatewayPayment | None) -> str:
    """Record what the gateway says about an attempt (from a response, a webhook or a query)."""
    if answer is None or answer.status == "requires_confirmation":
        # The card never reached the provider: nothing was charged, the shopper may try again.
        _fail(payment, message="The payment did not reach the payment service.")
        return "failed"
    if answer.status == "succeeded":
        return "settled" if payment_settle(payment=payment, answer=answer) else "unchanged"
    if answer.status == "pending":
        return "pending" if _move(payment, to=Payment.Status.PENDING) else "unchanged"
    if answer.status == "failed":
        return "failed" if _fail(payment, message=answer.message) else "unchanged"
    return "unchanged"


def payment_settle(*, payment: Payment, answer: GatewayPayment) -> bool:
    """THE settle function: mark the attempt succeeded, the invoice and order paid, queue the receipt.

    Idempotent: under the invoice's row lock, an attempt already succeeded changes nothing. Returns
    whether this call changed anything.
    """
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().select_related("order").get(pk=payment.invoice_id)
        payment = Payment.objects.get(pk=payment.pk)
        if payment.status in (Payment.Status.SUCCEEDED, Payment.Status.REFUNDED):
            return False
        if answer.amount != payment.amount or answer.idempotency_key != payment.idempotency_key:
            logger.error("payment answer does not match the attempt", extra={"payment": payment.pk})
            return False
        now = timezone.now()
        order = invoice.order
        if invoice.status != Invoice.Status.OPEN or order.status != Order.Status.PENDING_PAYMENT:
            # Money arrived for a bill that is no longer open (the order expired meanwhile). Staff must
            # refund it at the provider: the attempt records the charge with a note, the order stays.
            changes = {"gateway_reference": answer.reference, "updated_at": now, "settled_at": now}
            if invoice.status == Invoice.Status.VOID:
                changes["status"] = Payment.Status.SUCCEEDED
            Payment.objects.filter(pk=payment.pk).update(
                message=f"Charged while the invoice was {invoice.status}: refund it.", **changes
            )
            logger.error("payment for a closed invoice", extra={"payment": payment.pk, "order": order.number})
            return False
        Payment.objects.filter(pk=payment.pk).update(
            status=Payment.Status.SUCCEEDED,
            gateway_reference=answer.reference,
            card_last4=answer.card_last4 or payment.card_last4,
            settled_at=now,
            updated_at=now,
        )
        Invoice.objects.filter(pk=invoice.pk).update(status=Invoice.Status.PAID, paid_at=now)
        order_transition(
            order=order, to=Order.Status.PAID, actor=f"{payment.gateway} payment {answer.reference}", paid_at=now
        )
        order_mail(
            order=order,
            kind=Message.Kind.PAYMENT_RECEIPT,
            amount=payment.amount,
            paid_at=now,
            payment_reference=answer.reference,
        )
        _record(order, EventName.PAYMENT_SUCCEEDED, payment.amount)
    return True


def payment_reconcile(*, payment: Payment) -> str:
    """Ask the gateway how an in-flight attempt stands and record it (no transaction held while asking)."""
    try:
        answer = gateway_get(payment.gateway).payment_retrieve(idempotency_key=payment.idempotency_key)
    except GatewayError as exc:
        logger.warning("payment reconciliation failed", extra={"payment": payment.pk, "error": str(exc)})
        return "unreachable"
    return payment_apply(payment=payment, answer=answer)


def payments_reconcile_pending(*, min_age: timedelta = timedelta(minutes=1)) -> dict[str, int]:
    """Reconcile every attempt in flight for longer than `min_age` (younger ones may be mid-request)."""
    cutoff = timezone.now() - min_age
    outcomes: dict[str, int] = {}
    for payment in Payment.objects.filter(status__in=Payment.IN_FLIGHT, updated_at__lte=cutoff).order_by("pk"):
        outcome = payment_reconcile(payment=payment)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


def webhook_receive(*, gateway_name: str, body: bytes, headers: Mapping[str, str]) -> str:
    """Verify and apply one webhook event; a replayed event id changes nothing. Returns the outcome.

    Raises UnknownGateway or WebhookInvalid (the view answers 404 / 400). The event id is stored in
    the same transaction as its effect: both happen, or neither.
    """
    gateway = gateway_get(gateway_name)
    event = gateway.webhook_verify(body=body, headers=headers)
    with transaction.atomic():
        try:
            with transaction.atomic():
                WebhookEvent.objects.create(gateway=gateway.name, event_id=event.id, event_type=event.type)
        except IntegrityError:
            return "duplicate"
        payment = Payment.objects.filter(gateway=gateway.name, idempotency_key=event.payment.idempotency_key).first()
        if payment is None:
            logger.warning("webhook for an unknown payment", extra={"event": event.id})
            return "unknown payment"
        if event.type not in ("payment.succeeded", "payment.failed"):
            return "ignored"
        return payment_apply(payment=payment, answer=event.payment)
