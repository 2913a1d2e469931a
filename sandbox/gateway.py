"""Our adapter for the sandbox provider: the PaymentGateway interface over sandbox.provider.

Written as an adapter over a remote API would be: it only calls the provider's operations and reads
back what they answer, so swapping it for a real provider changes nothing in orders.
"""

import hmac
import json
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal

from django.conf import settings
from django.urls import reverse

from orders.gateways.base import (
    GatewayError,
    GatewayEvent,
    GatewayPayment,
    GatewayRefund,
    PaymentGateway,
    WebhookInvalid,
)
from sandbox import provider
from sandbox.models import SandboxCharge


def _payment(data: Mapping, redirect_url: str = "") -> GatewayPayment:
    return GatewayPayment(
        reference=str(data["reference"]),
        idempotency_key=str(data["idempotency_key"]),
        status=data["status"],
        amount=Decimal(str(data["amount"])),
        currency=str(data["currency"]),
        redirect_url=redirect_url,
        message=str(data.get("message", ""))[:300],
    )


def _charge_payment(charge: SandboxCharge) -> GatewayPayment:
    return _payment(provider.charge_data(charge), reverse("sandbox:pay", args=[charge.reference]))


class SandboxGateway(PaymentGateway):
    name = "sandbox"

    def payment_start(
        self, *, idempotency_key: str, amount: Decimal, currency: str, description: str, return_url: str
    ) -> GatewayPayment:
        try:
            charge = provider.charge_open(
                idempotency_key=idempotency_key,
                amount=amount,
                currency=currency,
                description=description,
                return_url=return_url,
            )
        except ValueError as exc:
            raise GatewayError(str(exc)) from None
        return _charge_payment(charge)

    def payment_retrieve(self, *, idempotency_key: str, reference: str = "") -> GatewayPayment | None:
        charge = SandboxCharge.objects.filter(idempotency_key=idempotency_key).first()
        return _charge_payment(charge) if charge else None

    def payment_cancel(self, *, reference: str) -> GatewayPayment:
        if not SandboxCharge.objects.filter(reference=reference).exists():
            raise GatewayError("Unknown payment.")
        return _charge_payment(provider.charge_cancel(reference=reference))

    def payment_refund(
        self, *, reference: str, amount: Decimal, idempotency_key: str, reason: str = ""
    ) -> GatewayRefund:
        try:
            refund = provider.charge_refund(
                reference=reference, amount=amount, idempotency_key=idempotency_key, reason=reason
            )
        except provider.RefundRefused as exc:
            raise GatewayError(str(exc)) from None
        return GatewayRefund(reference=refund.reference, amount=refund.amount, status="succeeded")

    def webhook_verify(self, *, body: bytes, headers: Mapping[str, str]) -> GatewayEvent:
        header = headers.get(provider.SIGNATURE_HEADER, "")
        try:
            parts = dict(item.split("=", 1) for item in header.split(","))
            timestamp = int(parts["t"])
            signature = parts["v1"]
        except (KeyError, ValueError):
            raise WebhookInvalid("Missing or malformed signature header.") from None
        expected = provider.webhook_sign(body, timestamp).split("v1=", 1)[1]
        # Bytes: compare_digest refuses non-ASCII str (a forged header must be a 400, not a 500).
        if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "surrogateescape")):
            raise WebhookInvalid("Bad signature.")
        if abs(time.time() - timestamp) > settings.PAYMENT_WEBHOOK_TOLERANCE:
            raise WebhookInvalid("Stale timestamp.")
        try:
            event = json.loads(body)
            payment = _payment(event["data"])
            if payment.status not in ("open", "pending", "succeeded", "failed"):
                raise ValueError(payment.status)
            return GatewayEvent(
                id=str(event["id"]),
                type=str(event["type"]),
                created=datetime.fromtimestamp(int(event["created"]), tz=UTC),
                payment=payment,
                data=event["data"],
            )
        except (ValueError, KeyError, TypeError, ArithmeticError):
            raise WebhookInvalid("Unreadable event body.") from None
