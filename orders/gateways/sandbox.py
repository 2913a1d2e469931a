"""The sandbox provider: behaves like a remote card processor, runs in our process, moves no money.

It keeps its own ledger (orders.models.SandboxCharge), hands out its own references, honours
idempotency keys, answers test cards like a real provider's test mode and confirms asynchronously
through signed webhooks delivered by a task (orders.tasks.sandbox_webhook_send).

Test cards (any future expiry, any CVC):
  4242 4242 4242 4242  succeeds at once (a webhook follows)
  4000 0000 0000 3063  accepted, confirmed later by the webhook only
  4000 0000 0000 0002  declined
  4000 0000 0000 9995  declined: insufficient funds
  4000 0000 0000 0119  network timeout: GatewayTimeout, nothing is charged
"""

import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F

from orders.gateways.base import (
    Card,
    GatewayError,
    GatewayEvent,
    GatewayPayment,
    GatewayTimeout,
    PaymentGateway,
    WebhookInvalid,
)

CARD_SUCCESS = "4242424242424242"
CARD_ASYNC = "4000000000003063"
CARD_DECLINE = "4000000000000002"
CARD_INSUFFICIENT_FUNDS = "4000000000009995"
CARD_TIMEOUT = "4000000000000119"

DECLINES = {
    CARD_DECLINE: ("card_declined", "Your card was declined."),
    CARD_INSUFFICIENT_FUNDS: ("insufficient_funds", "Your card has insufficient funds."),
}
DECLINE_MESSAGES = {
    **dict(DECLINES.values()),
    "test_mode": "Your card was declined: the sandbox accepts only its test cards.",
}
SIGNATURE_HEADER = "Sandbox-Signature"


def webhook_sign(body: bytes, timestamp: int, secret: str | None = None) -> str:
    """The signature header value for a body: `t=<unix time>,v1=<hex HMAC-SHA256 of "t.body">`."""
    key = (secret or settings.PAYMENT_WEBHOOK_SECRET).encode()
    digest = hmac.new(key, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def _as_payment(charge) -> GatewayPayment:
    status = {"declined": "failed"}.get(charge.status, charge.status)
    message = DECLINE_MESSAGES.get(charge.decline_code, "")
    return GatewayPayment(
        reference=charge.reference,
        idempotency_key=charge.idempotency_key,
        status=status,
        amount=charge.amount,
        card_last4=charge.card_last4,
        message=message,
    )


class SandboxGateway(PaymentGateway):
    name = "sandbox"

    def _charges(self):
        from orders.models import SandboxCharge

        return SandboxCharge

    def payment_create(
        self, *, idempotency_key: str, amount: Decimal, currency: str, description: str
    ) -> GatewayPayment:
        charges = self._charges()
        try:
            with transaction.atomic():
                charge = charges.objects.create(
                    reference=f"sbx_{secrets.token_hex(10)}",
                    idempotency_key=idempotency_key,
                    amount=amount,
                    currency=currency,
                    description=description[:200],
                )
        except IntegrityError:
            charge = charges.objects.get(idempotency_key=idempotency_key)
            if charge.amount != amount or charge.currency != currency:
                raise GatewayError("This idempotency key was used for another amount.") from None
        return _as_payment(charge)

    def payment_confirm(self, *, reference: str, card: Card) -> GatewayPayment:
        charges = self._charges()
        S = charges.Status
        number = card.number
        if number == CARD_TIMEOUT:
            raise GatewayTimeout("The payment service did not answer in time.")
        if number in DECLINES:
            changes = {"status": S.DECLINED, "decline_code": DECLINES[number][0]}
        elif number == CARD_ASYNC:
            changes = {"status": S.PENDING}
        elif number == CARD_SUCCESS:
            changes = {"status": S.SUCCEEDED, "confirmations": F("confirmations") + 1}
        else:
            changes = {"status": S.DECLINED, "decline_code": "test_mode"}
        # Only the first confirmation of a payment does anything: a retried request gets the same answer.
        first = charges.objects.filter(reference=reference, status=S.REQUIRES_CONFIRMATION).update(
            card_last4=card.last4, **changes
        )
        charge = charges.objects.filter(reference=reference).first()
        if charge is None:
            raise GatewayError("Unknown payment.")
        if first and charge.status in (S.SUCCEEDED, S.PENDING, S.DECLINED):
            self._send_webhook_later(charge.reference)
        return _as_payment(charge)

    def _send_webhook_later(self, reference: str) -> None:
        from orders.tasks import sandbox_webhook_send

        sandbox_webhook_send.enqueue(reference, 1)

    def payment_retrieve(self, *, idempotency_key: str) -> GatewayPayment | None:
        charge = self._charges().objects.filter(idempotency_key=idempotency_key).first()
        return _as_payment(charge) if charge else None

    def payment_refund(self, *, reference: str) -> GatewayPayment:
        charges = self._charges()
        charges.objects.filter(reference=reference, status=charges.Status.SUCCEEDED).update(
            status=charges.Status.REFUNDED
        )
        charge = charges.objects.filter(reference=reference).first()
        if charge is None or charge.status != charges.Status.REFUNDED:
            raise GatewayError("Only a succeeded payment can be refunded.")
        return _as_payment(charge)

    # --- The provider's side of webhooks -------------------------------------------------------------

    def webhook_event(self, reference: str) -> tuple[bytes, dict[str, str]]:
        """Finish a pending charge (the provider's asynchronous work) and build its signed event."""
        charges = self._charges()
        charges.objects.filter(reference=reference, status=charges.Status.PENDING).update(
            status=charges.Status.SUCCEEDED, confirmations=F("confirmations") + 1
        )
        payment = _as_payment(charges.objects.get(reference=reference))
        kind = {"succeeded": "payment.succeeded", "failed": "payment.failed", "refunded": "payment.refunded"}
        body = json.dumps(
            {
                "id": f"evt_{secrets.token_hex(10)}",
                "type": kind.get(payment.status, "payment.updated"),
                "created": int(time.time()),
                "data": {
                    "reference": payment.reference,
                    "idempotency_key": payment.idempotency_key,
                    "status": payment.status,
                    "amount": str(payment.amount),
                    "card_last4": payment.card_last4,
                    "message": payment.message,
                },
            }
        ).encode()
        return body, {SIGNATURE_HEADER: webhook_sign(body, int(time.time()))}

    # --- Our side of webhooks --------------------------------------------------------------------------

    def webhook_verify(self, *, body: bytes, headers: Mapping[str, str]) -> GatewayEvent:
        header = headers.get(SIGNATURE_HEADER, "")
        try:
            parts = dict(item.split("=", 1) for item in header.split(","))
            timestamp = int(parts["t"])
            signature = parts["v1"]
        except (KeyError, ValueError):
            raise WebhookInvalid("Missing or malformed signature header.") from None
        expected = webhook_sign(body, timestamp).split("v1=", 1)[1]
        # Bytes: compare_digest refuses non-ASCII str (a forged header must be a 400, not a 500).
        if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "surrogateescape")):
            raise WebhookInvalid("Bad signature.")
        if abs(time.time() - timestamp) > settings.PAYMENT_WEBHOOK_TOLERANCE:
            raise WebhookInvalid("Stale timestamp.")
        try:
            event = json.loads(body)
            data = event["data"]
            payment = GatewayPayment(
                reference=str(data["reference"]),
                idempotency_key=str(data["idempotency_key"]),
                status=data["status"],
                amount=Decimal(str(data["amount"])),
                card_last4=str(data.get("card_last4", ""))[-4:],
                message=str(data.get("message", ""))[:300],
            )
            return GatewayEvent(
                id=str(event["id"]),
                type=str(event["type"]),
                created=datetime.fromtimestamp(int(event["created"]), tz=UTC),
                payment=payment,
                data=data,
            )
        except (ValueError, KeyError, TypeError, ArithmeticError):
            raise WebhookInvalid("Unreadable event body.") from None
