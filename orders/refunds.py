"""Refunds: all or part of a succeeded payment, never more than was paid, each with its credit note.

1. Under the invoice's row lock the refund is claimed: what is left is the payment's amount minus every
   refund not refused (pending ones included), so concurrent refunds cannot together exceed it.
2. The provider is asked with no transaction open, with the refund's own idempotency key.
3. Its answer is recorded under the invoice lock again: the refund succeeds, a credit note gets the
   next gap-free number, the invoice's refunded total grows, a full refund moves the order to refunded,
   the stock comes back only if staff asked, and the shopper is mailed.
"""

import logging
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_noop

from catalog.money import MONEY_MAX, currency_places, format_money, money, money_round
from notifications.models import Message
from orders.gateways import UnknownGateway, gateway_get
from orders.gateways.base import GatewayError, GatewayRefund, GatewayTimeout
from orders.models import TRANSITIONS, CreditNote, CreditNoteCounter, Invoice, Order, Payment, Refund
from orders.services import IllegalTransition, OrderError, number_next, order_mail, order_transition, stock_release

logger = logging.getLogger(__name__)


class RefundTooLarge(OrderError):
    pass


def refund_amount_parse(raw: str | Decimal) -> Decimal:
    """A refund amount as typed by staff; OrderError with a message when it is not one."""
    try:
        amount = Decimal(str(raw).strip().replace(",", "."))
    except InvalidOperation:
        raise OrderError(f"“{raw}” is not an amount; write it as 12.50.") from None
    if not amount.is_finite() or amount <= 0:
        raise OrderError("Enter an amount above zero.")
    if amount > MONEY_MAX:
        raise OrderError(f"“{raw}” is more than any payment; the largest amount is {MONEY_MAX}.")
    if amount != money_round(amount):
        raise OrderError(f"Use at most {currency_places()} decimal places.")
    return amount


def refundable(payment: Payment) -> Decimal:
    """What is left to refund of a payment: its amount minus every refund not refused."""
    claimed = payment.refunds.exclude(status=Refund.Status.FAILED).aggregate(total=Sum("amount"))["total"]
    return money(payment.amount - (claimed or 0))


def order_payment(order: Order) -> Payment:
    """The payment that paid the order (the one refunds give money back from)."""
    payment = Payment.objects.filter(
        invoice__order=order, status__in=[Payment.Status.SUCCEEDED, Payment.Status.REFUNDED]
    ).first()
    if payment is None:
        raise OrderError(f"Order {order.number} has no successful payment to refund.")
    return payment


def payment_refund(*, payment: Payment, amount: Decimal, reason: str, restock: bool, actor: str) -> Refund:
    """Refund `amount` of a payment whose money was taken. Raises OrderError (RefundTooLarge) with the reason."""
    reason = reason.strip()[:200] or "Refund"
    with transaction.atomic():
        Invoice.objects.select_for_update().get(pk=payment.invoice_id)
        payment = Payment.objects.select_related("invoice__order").get(pk=payment.pk)
        order = payment.invoice.order
        if payment.settled_at is None:
            raise OrderError(f"Payment {payment.idempotency_key} took no money; there is nothing to refund.")
        left = refundable(payment)
        if amount > left:
            raise RefundTooLarge(
                f"Order {order.number}: {format_money(amount, order.currency)} is more than the "
                f"{format_money(left, order.currency)} left to refund of the "
                f"{format_money(payment.amount, order.currency)} paid."
            )
        refund = Refund.objects.create(
            payment=payment,
            amount=amount,
            reason=reason,
            restock=restock,
            idempotency_key=f"{payment.idempotency_key}-R{payment.refunds.count() + 1}",
            actor=actor[:200],
        )
    try:
        answer = gateway_get(payment.gateway).payment_refund(
            reference=payment.gateway_reference, amount=amount, idempotency_key=refund.idempotency_key, reason=reason
        )
    except GatewayTimeout as exc:
        # Unknown whether the provider refunded: the refund stays pending (it still counts against what is
        # left) until staff check it in the provider's dashboard; the same key never refunds twice.
        Refund.objects.filter(pk=refund.pk).update(message=str(exc)[:300])
        raise OrderError(
            f"Order {order.number}: the payment provider did not answer; the refund of "
            f"{format_money(amount, order.currency)} is pending. "
            "Check it in the provider's dashboard."
        ) from exc
    except (GatewayError, UnknownGateway) as exc:
        Refund.objects.filter(pk=refund.pk).update(status=Refund.Status.FAILED, message=str(exc)[:300])
        logger.warning("refund of order %s refused by %s: %s", order.number, payment.gateway, exc)
        raise OrderError(f"Order {order.number} was not refunded: the payment provider said “{exc}”.") from exc
    return refund_record(refund=refund, answer=answer)


def refund_record(*, refund: Refund, answer: GatewayRefund) -> Refund:
    """Record the provider's yes: credit note, refunded totals, the order's status, stock, the mail."""
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().select_related("order").get(pk=refund.payment.invoice_id)
        if not Refund.objects.filter(pk=refund.pk, status=Refund.Status.PENDING).update(
            status=Refund.Status.SUCCEEDED, gateway_reference=answer.reference[:100]
        ):
            return Refund.objects.get(pk=refund.pk)
        payment = Payment.objects.get(pk=refund.payment_id)
        order = invoice.order
        note = CreditNote.objects.create(
            refund=refund, invoice=invoice, number=number_next(CreditNoteCounter), amount=refund.amount
        )
        refunded = money(payment.refunds.filter(status=Refund.Status.SUCCEEDED).aggregate(total=Sum("amount"))["total"])
        the_orders_payment = invoice.status == Invoice.Status.PAID and payment.status == Payment.Status.SUCCEEDED
        Invoice.objects.filter(pk=invoice.pk).update(
            amount_refunded=min(invoice.amount_refunded + refund.amount, invoice.amount_due)
        )
        full = refunded >= payment.amount
        if full:
            Payment.objects.filter(pk=payment.pk).update(status=Payment.Status.REFUNDED, updated_at=timezone.now())
        if full and the_orders_payment and Order.Status.REFUNDED in TRANSITIONS[order.status]:
            try:
                order_transition(
                    order=order,
                    to=Order.Status.REFUNDED,
                    actor=refund.actor,
                    note=f"{note.display_number}: {refund.reason}",
                )
            except IllegalTransition:
                pass  # refunded meanwhile by another full refund: nothing more to record
        if refund.restock:
            stock_release(order=order)
        order_mail(
            order=order,
            kind=Message.Kind.ORDER_REFUNDED,
            amount=refund.amount,
            currency=order.currency,
            refunded_total=refunded,
            full=full,
            reason=refund.reason,
            credit_note=note.display_number,
        )
    logger.info("refund made", extra={"refund": refund.pk, "order": order.number, "amount": str(refund.amount)})
    refund.refresh_from_db()
    return refund


def order_refund(
    *, order: Order, actor: str, amount: Decimal | None = None, reason: str = "Refund", restock: bool = False
) -> Refund:
    """Refund the order's payment: `amount` of it, or all that is left."""
    order.refresh_from_db(fields=["status"])
    if order.status not in (Order.Status.PAID, Order.Status.SHIPPED, Order.Status.COMPLETED):
        raise IllegalTransition(f"Order {order.number} is {order.get_status_display()}: it cannot be refunded.")
    payment = order_payment(order)
    if amount is None:
        amount = refundable(payment)
        if amount <= 0:
            raise RefundTooLarge(f"Order {order.number} is refunded in full already.")
    return payment_refund(payment=payment, amount=amount, reason=reason, restock=restock, actor=actor)


def payment_refund_stray(*, payment: Payment, actor: str) -> Refund:
    """Give back money charged for an invoice that was no longer open (recorded by payment_settle).

    Such a charge is not the order's payment (the order is cancelled, or paid by another attempt), so
    `order_refund` cannot reach it; the order's status stays as it is.
    """
    payment = Payment.objects.select_related("invoice").get(pk=payment.pk)
    the_orders_payment = payment.status == Payment.Status.SUCCEEDED and payment.invoice.status == Invoice.Status.PAID
    if payment.settled_at is None or payment.status == Payment.Status.REFUNDED or the_orders_payment:
        raise OrderError(f"Payment {payment.idempotency_key} is not a stray charge; refund its order instead.")
    refund = payment_refund(
        payment=payment,
        amount=refundable(payment),
        reason=gettext_noop("Charged after the order closed"),
        restock=False,
        actor=actor,
    )
    Payment.objects.filter(pk=payment.pk).update(
        status=Payment.Status.REFUNDED, message=f"Stray charge refunded by {actor}."[:300], updated_at=timezone.now()
    )
    return refund
