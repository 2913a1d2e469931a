"""Stripe, through its official SDK, with Checkout Sessions: the shopper pays on Stripe's hosted page.

Why Checkout Sessions and not the Payment Element: the shop has no JavaScript of its own on the pay step
and takes no card data; a Checkout Session is a redirect to Stripe's page (cards, 3-D Secure, wallets
and local methods run there) and back, which fits a server-rendered shop that must work without
JavaScript. The Payment Element would need Stripe.js in our page and a client-side confirmation step.

Every create call carries an idempotency key (ours for the session, the refund's for a refund), so the
SDK's retries and our own repeat clicks never create two sessions or two refunds. Webhooks are verified
with stripe.Webhook.construct_event (signature and timestamp tolerance). Settings: STRIPE_SECRET_KEY,
STRIPE_PUBLISHABLE_KEY, STRIPE_WEBHOOK_SECRET (checked by orders.checks), STRIPE_API_BASE (tests point
it at a local fake of Stripe's API).
"""

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal

import stripe
from django.conf import settings

from orders.gateways.base import (
    GatewayError,
    GatewayEvent,
    GatewayPayment,
    GatewayRefund,
    GatewayTimeout,
    PaymentGateway,
    WebhookInvalid,
)

logger = logging.getLogger(__name__)

# Currencies Stripe counts in whole units (no cents): https://docs.stripe.com/currencies#zero-decimal
ZERO_DECIMAL = frozenset("bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf".split())
HTTP_TIMEOUT = 10  # seconds; the Pay click waits for it
SESSION_EVENTS = {
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
}


def to_minor(amount: Decimal, currency: str) -> int:
    exponent = 0 if currency.lower() in ZERO_DECIMAL else 2
    return int((amount * 10**exponent).to_integral_value())


def from_minor(value: int | None, currency: str) -> Decimal:
    exponent = 0 if currency.lower() in ZERO_DECIMAL else 2
    return (Decimal(value or 0) / 10**exponent).quantize(Decimal("0.01"))


def _plain(obj) -> dict:
    """An SDK object as a plain dict (StripeObject refuses dict methods such as .get)."""
    return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)


def _session_payment(session: Mapping, event_type: str = "") -> GatewayPayment:
    """Our view of a Checkout Session."""
    session = _plain(session)
    currency = str(session.get("currency") or "")
    status, payment_status = session.get("status"), session.get("payment_status")
    message = ""
    if event_type == "checkout.session.async_payment_failed":
        state, message = "failed", "The payment was not completed."
    elif status == "complete" and payment_status in ("paid", "no_payment_required"):
        state = "succeeded"
    elif status == "complete":
        state = "pending"  # a delayed method (bank debit…): async_payment_succeeded or _failed follows
    elif status == "expired":
        state, message = "failed", "The payment session expired; nothing was charged."
    else:
        state = "open"
    metadata = session.get("metadata") or {}
    return GatewayPayment(
        reference=str(session["id"]),
        idempotency_key=str(metadata.get("idempotency_key") or session.get("client_reference_id") or ""),
        status=state,
        amount=from_minor(session.get("amount_total"), currency),
        currency=currency.upper(),
        redirect_url=str(session.get("url") or ""),
        message=message,
    )


class StripeGateway(PaymentGateway):
    name = "stripe"

    def __init__(self):
        self.client = stripe.StripeClient(
            settings.STRIPE_SECRET_KEY,
            base_addresses={"api": settings.STRIPE_API_BASE},
            max_network_retries=1,
            http_client=stripe.RequestsClient(timeout=HTTP_TIMEOUT),
        )

    def _call(self, what: str, call):
        """Run one SDK call; connection trouble becomes GatewayTimeout, a refusal GatewayError."""
        try:
            return call()
        except stripe.APIConnectionError as exc:
            logger.warning("stripe unreachable during %s: %s", what, exc)
            raise GatewayTimeout("The payment service did not answer in time.") from exc
        except stripe.StripeError as exc:
            logger.warning("stripe refused %s: %s", what, exc)
            raise GatewayError(exc.user_message or "The payment service refused the request.") from exc

    def payment_start(
        self, *, idempotency_key: str, amount: Decimal, currency: str, description: str, return_url: str
    ) -> GatewayPayment:
        params = {
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": currency.lower(),
                        "unit_amount": to_minor(amount, currency),
                        "product_data": {"name": description[:250]},
                    },
                }
            ],
            "client_reference_id": idempotency_key,
            "metadata": {"idempotency_key": idempotency_key},
            "payment_intent_data": {"metadata": {"idempotency_key": idempotency_key}},
            "success_url": return_url,
            "cancel_url": return_url,
        }
        options = {"idempotency_key": idempotency_key}
        session = self._call(
            "session create", lambda: self.client.v1.checkout.sessions.create(params=params, options=options)
        )
        return _session_payment(session)

    def payment_retrieve(self, *, idempotency_key: str, reference: str = "") -> GatewayPayment | None:
        # Without the session id our process died before hearing Stripe's answer: nobody has the session's
        # URL, so it can never be paid (Stripe expires it); a new attempt is safe.
        if not reference:
            return None
        session = self._call("session retrieve", lambda: self.client.v1.checkout.sessions.retrieve(reference))
        return _session_payment(session)

    def payment_cancel(self, *, reference: str) -> GatewayPayment:
        try:
            session = self.client.v1.checkout.sessions.expire(reference)
        except stripe.InvalidRequestError:
            # Only an open session can be expired: it completed meanwhile (or expired already).
            session = self._call("session retrieve", lambda: self.client.v1.checkout.sessions.retrieve(reference))
        except stripe.StripeError as exc:
            raise GatewayError(exc.user_message or "The payment service refused the request.") from exc
        return _session_payment(session)

    def payment_refund(
        self, *, reference: str, amount: Decimal, idempotency_key: str, reason: str = ""
    ) -> GatewayRefund:
        session = _plain(self._call("session retrieve", lambda: self.client.v1.checkout.sessions.retrieve(reference)))
        intent = session.get("payment_intent")
        if not intent:
            raise GatewayError("This payment has no charge at Stripe to refund.")
        currency = str(session.get("currency") or "")
        params = {
            "payment_intent": intent if isinstance(intent, str) else intent["id"],
            "amount": to_minor(amount, currency),
            "metadata": {"reason": reason[:500], "idempotency_key": idempotency_key},
        }
        options = {"idempotency_key": idempotency_key}
        refund = _plain(self._call("refund", lambda: self.client.v1.refunds.create(params=params, options=options)))
        if refund.get("status") in ("failed", "canceled"):
            raise GatewayError("Stripe could not make the refund.")
        status = "succeeded" if refund.get("status") == "succeeded" else "pending"
        return GatewayRefund(
            reference=str(refund["id"]), amount=from_minor(refund.get("amount"), currency), status=status
        )

    def webhook_verify(self, *, body: bytes, headers: Mapping[str, str]) -> GatewayEvent:
        signature = headers.get("Stripe-Signature")
        if not signature:
            raise WebhookInvalid("Missing Stripe-Signature header.")
        try:
            event = stripe.Webhook.construct_event(
                body, signature, settings.STRIPE_WEBHOOK_SECRET, tolerance=settings.PAYMENT_WEBHOOK_TOLERANCE
            )
        except stripe.SignatureVerificationError as exc:
            raise WebhookInvalid(f"Bad signature: {exc.user_message or exc}") from None
        except ValueError:
            raise WebhookInvalid("Unreadable event body.") from None
        try:
            event = _plain(event)
            kind = str(event["type"])
            obj = event["data"]["object"]
            payment = _session_payment(obj, kind) if kind in SESSION_EVENTS else None
            return GatewayEvent(
                id=str(event["id"]),
                type=kind,
                created=datetime.fromtimestamp(int(event["created"]), tz=UTC),
                payment=payment,
                data=obj,
            )
        except (KeyError, TypeError, ValueError, ArithmeticError):
            raise WebhookInvalid("Unreadable event body.") from None
