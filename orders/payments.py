"""Paying invoices on the provider's hosted page: one attempt per key, one settle function for every path.

The shopper's Pay starts (or resumes) an attempt at the provider and is sent to the provider's page
(payment_start). How it ended is learned from the shopper coming back (payment_return), the provider's
webhook (webhook_receive), the scheduled check of every attempt (payment_heal, a task queued when the
attempt starts), the expiry of the order (order_expire) or the cron command. All of them end in
payment_apply → payment_settle / _fail, which lock the invoice row and change nothing when the attempt is
already settled, so whichever arrives first wins and the others are no-ops. The gateway is never called
inside a transaction.

Usage statistics: an attempt that succeeds records payment_succeeded, one that fails payment_failed,
each exactly once (only the call that changed the attempt's state records) and after commit.
"""

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from analytics.models import EventName
from analytics.services import event_record_for
from live import events as live_events
from notifications.models import Message
from orders.gateways import gateway_get
from orders.gateways.base import GatewayError, GatewayPayment, GatewayTimeout
from orders.models import Invoice, Order, Payment, WebhookEvent
from orders.services import IllegalTransition, OrderError, order_cancel, order_mail, order_transition

logger = logging.getLogger(__name__)

# When the gateway cannot tell whether an expiring order's payment went through, ask again after this.
EXPIRY_RETRY = timedelta(minutes=1)


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
        raise PaymentNotAllowed(_("Order %(number)s is already paid.") % {"number": order.number})
    if order.status != Order.Status.PENDING_PAYMENT or invoice.status != Invoice.Status.OPEN:
        raise PaymentNotAllowed(
            _("Order %(number)s is %(status)s; it can no longer be paid.")
            % {"number": order.number, "status": order.get_status_display()}
        )
    if order.reserved_until <= now:
        raise PaymentNotAllowed(
            _("The reservation of order %(number)s has expired; the items are no longer held for you.")
            % {"number": order.number}
        )


def payment_start(*, order: Order, key: str, return_url: str) -> Payment:
    """Start (or resume) the attempt `key` at the provider; the attempt's redirect_url is where to pay.

    1. A short transaction under the invoice's row lock claims the attempt (a row with a unique key, at
       most one in flight per invoice) and queues its scheduled check: both commit, or neither.
    2. The provider is asked with no transaction open; it is idempotent by our key, so concurrent
       clicks all get the one session the first click created.
    Returns a settled or in-flight attempt; raises PaymentError (declined, out of date, unavailable).
    """
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().select_related("order").get(order=order)
        payment = Payment.objects.filter(idempotency_key=key, invoice=invoice).first()
        if payment is None:
            payment_payable(invoice=invoice)
            if key != payment_key(invoice=invoice):
                raise PaymentNotAllowed(_("This payment form is out of date. Check the order and try again."))
            try:
                with transaction.atomic():
                    payment = Payment.objects.create(
                        invoice=invoice, gateway=gateway_get().name, idempotency_key=key, amount=invoice.amount_due
                    )
            except IntegrityError:
                raise PaymentNotAllowed(_("A payment for this order is already in progress. Wait a moment.")) from None
            _heal_later(payment)
        elif payment.status in Payment.IN_FLIGHT:
            payment_payable(invoice=invoice)
    if payment.status not in Payment.IN_FLIGHT:
        return _outcome(payment)
    if payment.redirect_url:
        # Back from the provider's page without finishing, or a second tab: how does it stand now?
        payment_reconcile(payment=payment)
        payment.refresh_from_db()
        return _outcome(payment)
    try:
        started = gateway_get(payment.gateway).payment_start(
            idempotency_key=key,
            amount=payment.amount,
            currency=order.currency,
            description=f"{settings.SHOP_NAME} order {order.number}",
            return_url=return_url,
        )
    except GatewayTimeout:
        _move(payment, to=Payment.Status.UNKNOWN, message=gettext_noop("The payment service did not answer in time."))
        logger.warning("payment gateway timeout", extra={"payment": payment.pk, "order": order.number})
        payment_reconcile(payment=payment)  # ask once how it stands; the scheduled check asks again later
        payment.refresh_from_db()
        if payment.status == Payment.Status.FAILED:
            raise PaymentUnavailable(
                _("The payment service did not answer in time. Nothing was charged. Please try again.")
            ) from None
        raise PaymentUnavailable(_("The payment service did not answer in time. Try again in a moment.")) from None
    except GatewayError as exc:
        _fail(payment, message=str(exc)[:300], order=order)
        raise PaymentUnavailable(_("The payment service refused the payment: %(reason)s") % {"reason": exc}) from None
    Payment.objects.filter(pk=payment.pk, status__in=Payment.IN_FLIGHT).update(
        gateway_reference=started.reference, redirect_url=started.redirect_url[:2000], updated_at=timezone.now()
    )
    if started.status != "open":
        payment_apply(payment=payment, answer=started)
    payment.refresh_from_db()
    return _outcome(payment)


def payment_return(*, order: Order, key: str) -> Payment | None:
    """The shopper is back from the provider's page: ask how the attempt stands and record it.

    Idempotent: a second visit finds the attempt settled (or failed) and changes nothing.
    """
    payments = Payment.objects.filter(invoice__order=order)
    payment = payments.filter(idempotency_key=key[:64]).first() or payments.order_by("-created_at", "-id").first()
    if payment is not None and payment.status in Payment.IN_FLIGHT:
        payment_reconcile(payment=payment)
        payment.refresh_from_db()
    return payment


def _outcome(payment: Payment) -> Payment:
    """The attempt, or the error the shopper should see for it."""
    if payment.status == Payment.Status.FAILED:
        raise PaymentDeclined(payment_message(payment) or _("The payment was declined."))
    if payment.status == Payment.Status.UNKNOWN:
        raise PaymentUnavailable(_("We are still waiting for the payment service to answer. Try again in a moment."))
    return payment


def payment_message(payment: Payment) -> str:
    """Why the attempt failed, for the shopper: our own reasons are stored in English and translated here;
    a provider's own words pass as they are."""
    return _(payment.message) if payment.message else ""


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
        order = Order.objects.only("pk", "number", "total", "user_id", "analytics_visitor").get(
            invoice__id=payment.invoice_id
        )
    _record(order, EventName.PAYMENT_FAILED, payment.amount)
    live_events.staff_payment_failed(order)
    live_events.order_changed(order)
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
    if answer is None:
        # It never reached the provider: nothing was charged, the shopper may pay again at once.
        _fail(payment, message=gettext_noop("The payment did not reach the payment service; nothing was charged."))
        return "failed"
    if answer.status == "succeeded":
        return payment_settle(payment=payment, answer=answer)
    if answer.status == "pending":
        return "pending" if _move(payment, to=Payment.Status.PENDING) else "unchanged"
    if answer.status == "failed":
        return (
            "failed"
            if _fail(payment, message=answer.message or gettext_noop("The payment did not go through."))
            else "unchanged"
        )
    if answer.status == "open" and payment.status == Payment.Status.UNKNOWN:
        return "open" if _move(payment, to=Payment.Status.PROCESSING) else "unchanged"
    return "unchanged"


def payment_settle(*, payment: Payment, answer: GatewayPayment) -> str:
    """THE settle function: mark the attempt succeeded, the invoice and order paid, queue the receipt.

    Idempotent: under the invoice's row lock, an attempt already succeeded changes nothing. An answer
    whose amount or currency is not the invoice's flags the attempt for staff and pays nothing.
    Returns "settled", "unchanged" or "flagged".
    """
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().select_related("order").get(pk=payment.invoice_id)
        payment = Payment.objects.get(pk=payment.pk)
        if payment.status in (Payment.Status.SUCCEEDED, Payment.Status.REFUNDED):
            return "unchanged"
        order = invoice.order
        if (
            answer.amount != payment.amount
            or answer.currency.upper() != order.currency.upper()
            or answer.idempotency_key != payment.idempotency_key
        ):
            reported = f"{answer.amount} {answer.currency.upper()}"
            note = f"The provider reported {reported} for {payment.amount} {order.currency}: check it."
            Payment.objects.filter(pk=payment.pk).update(
                needs_review=True, message=note[:300], updated_at=timezone.now()
            )
            logger.error("payment answer does not match the invoice", extra={"payment": payment.pk, "note": note})
            return "flagged"
        now = timezone.now()
        if invoice.status != Invoice.Status.OPEN or order.status != Order.Status.PENDING_PAYMENT:
            # Money arrived for a bill that is no longer open (the order expired meanwhile). Staff must
            # refund it at the provider: the attempt records the charge with a note, the order stays.
            changes = {"gateway_reference": answer.reference, "updated_at": now, "settled_at": now}
            if invoice.status == Invoice.Status.VOID:
                changes["status"] = Payment.Status.SUCCEEDED
            Payment.objects.filter(pk=payment.pk).update(
                message=f"Charged while the invoice was {invoice.status}: refund it.", needs_review=True, **changes
            )
            logger.error("payment for a closed invoice", extra={"payment": payment.pk, "order": order.number})
            return "unchanged"
        Payment.objects.filter(pk=payment.pk).update(
            status=Payment.Status.SUCCEEDED, gateway_reference=answer.reference, settled_at=now, updated_at=now
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
    return "settled"


def payment_reconcile(*, payment: Payment) -> str:
    """Ask the gateway how an in-flight attempt stands and record it (no transaction held while asking)."""
    try:
        answer = gateway_get(payment.gateway).payment_retrieve(
            idempotency_key=payment.idempotency_key, reference=payment.gateway_reference
        )
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


def _heal_later(payment: Payment) -> None:
    """Queue the scheduled check of an attempt (in the caller's transaction: no attempt without its check)."""
    from orders.tasks import payment_heal as task

    task.using(run_after=timezone.now() + settings.PAYMENT_RECONCILE_AFTER).enqueue(payment.pk)


def payment_heal(*, payment_id: int) -> str:
    """The scheduled check of one attempt: an interrupted payment (browser closed, instance killed, a
    database blip mid-Pay) is asked about at the provider and recorded, so the shopper can pay again.

    While the provider still waits for the shopper (and the order for its money) it looks again later;
    the order's expiry closes the provider's session in the end.
    """
    payment = Payment.objects.filter(pk=payment_id).first()
    if payment is None or payment.status not in Payment.IN_FLIGHT:
        return "not in flight"
    outcome = payment_reconcile(payment=payment)
    payment.refresh_from_db()
    still_owed = Order.objects.filter(invoice__id=payment.invoice_id, status=Order.Status.PENDING_PAYMENT).exists()
    if payment.status in Payment.IN_FLIGHT and still_owed:
        with transaction.atomic():
            _heal_later(payment)
    return outcome


def _payment_close(payment: Payment) -> None:
    """Ask about an in-flight attempt and, while the shopper has not paid, close its session at the provider."""
    payment_reconcile(payment=payment)
    payment.refresh_from_db()
    if payment.status != Payment.Status.PROCESSING or not payment.gateway_reference:
        return
    try:
        answer = gateway_get(payment.gateway).payment_cancel(reference=payment.gateway_reference)
    except GatewayError as exc:
        logger.warning("closing a payment at the provider failed", extra={"payment": payment.pk, "error": str(exc)})
        return
    payment_apply(payment=payment, answer=answer)


def order_expire(*, order_id: int, now: datetime | None = None) -> str:
    """Cancel an unpaid order whose reservation ran out; returns what happened.

    Payments still in flight are first asked about, and their sessions closed, at the provider (outside
    any transaction): money that arrived in time wins over the expiry. If the provider cannot say, the
    expiry waits and tries again.
    """
    now = now or timezone.now()
    order = Order.objects.filter(pk=order_id).first()
    if order is None or order.status != Order.Status.PENDING_PAYMENT:
        return "not pending"
    if order.reserved_until > now:
        return "not due"
    for payment in Payment.objects.filter(invoice__order=order, status__in=Payment.IN_FLIGHT):
        _payment_close(payment)
    order.refresh_from_db()
    if order.status != Order.Status.PENDING_PAYMENT:
        return "paid meanwhile"
    try:
        order_cancel(
            order=order, actor="reservation expiry", reason=gettext_noop("The payment did not arrive in time.")
        )
    except IllegalTransition:
        return "not pending"
    except OrderError:
        from orders.tasks import order_expire as task

        task.using(run_after=timezone.now() + EXPIRY_RETRY).enqueue(order.pk)
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
        if event.payment is None:
            return "ignored"
        payment = Payment.objects.filter(gateway=gateway.name, idempotency_key=event.payment.idempotency_key).first()
        if payment is None and event.payment.reference:
            payment = Payment.objects.filter(gateway=gateway.name, gateway_reference=event.payment.reference).first()
        if payment is None:
            logger.warning("webhook for an unknown payment", extra={"event": event.id, "type": event.type})
            return "unknown payment"
        return payment_apply(payment=payment, answer=event.payment)
