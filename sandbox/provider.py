"""The sandbox provider's side: what its hosted page, its API and its webhook sender do.

It moves no money but behaves like a remote provider in test mode: its own references (sbx_…), its own
ledger (sandbox.models), idempotency by key, a hosted payment page taking the test cards, a 3-D Secure
challenge, and asynchronous HMAC-signed webhooks delivered by a task (sandbox.tasks.webhook_deliver).

Test cards (typed on the sandbox's page, never on the shop's):
  4242 4242 4242 4242  succeeds at once (a webhook follows)
  4000 0027 6000 3184  3-D Secure: the shopper approves or refuses a challenge
  4000 0000 0000 3063  accepted, confirmed later by the webhook only
  4000 0000 0000 0002  declined
  4000 0000 0000 9995  declined: insufficient funds
  4000 0000 0000 0119  the card network times out: nothing charged, no return, no webhook
"""

import hashlib
import hmac
import json
import re
import secrets
import time
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F

from sandbox.models import SandboxCharge, SandboxRefund

S = SandboxCharge.Status
CARD_SUCCESS = "4242424242424242"
CARD_3DS = "4000002760003184"
CARD_ASYNC = "4000000000003063"
CARD_DECLINE = "4000000000000002"
CARD_INSUFFICIENT_FUNDS = "4000000000009995"
CARD_TIMEOUT = "4000000000000119"

DECLINE_MESSAGES = {
    "card_declined": "Your card was declined.",
    "insufficient_funds": "Your card has insufficient funds.",
    "authentication_failed": "The payment was not approved by your bank (3-D Secure refused).",
    "timeout": "The card network did not answer; nothing was charged.",
    "test_mode": "Your card was declined: the sandbox accepts only its test cards.",
    "canceled": "The payment was cancelled.",
}
SIGNATURE_HEADER = "Sandbox-Signature"


class CardInvalid(ValueError):
    """The typed number is not a card number at all (the page says so; nothing changes)."""


class RefundRefused(Exception):
    """The provider refuses a refund (more than what is left, or nothing was charged)."""


def luhn_valid(number: str) -> bool:
    total = 0
    for i, digit in enumerate(int(d) for d in reversed(number)):
        if i % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def card_clean(raw: str) -> str:
    number = re.sub(r"[\s-]", "", raw)
    # ASCII digits only: str.isdigit() also accepts "²" or "٣".
    if not re.fullmatch(r"[0-9]{12,19}", number) or not luhn_valid(number):
        raise CardInvalid("This is not a valid card number.")
    return number


# --- The provider's API ------------------------------------------------------------------------------


def charge_open(*, idempotency_key: str, amount: Decimal, currency: str, description: str, return_url: str):
    """A hosted payment session; the same key returns the same session (refused for another amount)."""
    try:
        with transaction.atomic():
            return SandboxCharge.objects.create(
                reference=f"sbx_{secrets.token_hex(10)}",
                idempotency_key=idempotency_key,
                amount=amount,
                currency=currency,
                description=description[:200],
                return_url=return_url[:1000],
            )
    except IntegrityError:
        charge = SandboxCharge.objects.get(idempotency_key=idempotency_key)
        if charge.amount != amount or charge.currency != currency:
            raise ValueError("This idempotency key was used for another amount.") from None
        return charge


def _finish(reference: str, from_statuses, notify: bool = True, **changes) -> tuple[SandboxCharge, bool]:
    """Move a charge on, only from the given states (a repeated request changes nothing); queue its webhook."""
    moved = bool(SandboxCharge.objects.filter(reference=reference, status__in=from_statuses).update(**changes))
    charge = SandboxCharge.objects.get(reference=reference)
    if moved and notify and charge.status in (S.SUCCEEDED, S.PENDING, S.DECLINED):
        webhook_schedule(charge.reference)
    return charge, moved


def charge_submit(*, reference: str, number: str) -> SandboxCharge:
    """The shopper typed a card on the hosted page."""
    if number == CARD_TIMEOUT:
        changes = {"status": S.DECLINED, "decline_code": "timeout"}
    elif number == CARD_DECLINE:
        changes = {"status": S.DECLINED, "decline_code": "card_declined"}
    elif number == CARD_INSUFFICIENT_FUNDS:
        changes = {"status": S.DECLINED, "decline_code": "insufficient_funds"}
    elif number == CARD_ASYNC:
        changes = {"status": S.PENDING}
    elif number == CARD_3DS:
        changes = {"status": S.CHALLENGE}
    elif number == CARD_SUCCESS:
        changes = {"status": S.SUCCEEDED, "confirmations": F("confirmations") + 1}
    else:
        changes = {"status": S.DECLINED, "decline_code": "test_mode"}
    # A network timeout: the provider sends no webhook and never returns the shopper.
    notify = number != CARD_TIMEOUT
    return _finish(reference, [S.OPEN], notify=notify, card_last4=number[-4:], **changes)[0]


def charge_challenge(*, reference: str, approve: bool) -> SandboxCharge:
    """The shopper answered the 3-D Secure challenge."""
    if approve:
        changes = {"status": S.SUCCEEDED, "confirmations": F("confirmations") + 1}
    else:
        changes = {"status": S.DECLINED, "decline_code": "authentication_failed"}
    return _finish(reference, [S.CHALLENGE], **changes)[0]


def charge_cancel(*, reference: str) -> SandboxCharge:
    """Close an unfinished session (the shopper cancelled, or the shop asked): it can never be charged."""
    return _finish(reference, [S.OPEN, S.CHALLENGE], status=S.CANCELED, decline_code="canceled")[0]


def charge_refund(*, reference: str, amount: Decimal, idempotency_key: str, reason: str = "") -> SandboxRefund:
    """Refund part or all of a succeeded charge, once per key, never more than was charged."""
    earlier = SandboxRefund.objects.filter(idempotency_key=idempotency_key).first()
    if earlier is not None:
        return earlier
    with transaction.atomic():
        taken = SandboxCharge.objects.filter(
            reference=reference, status=S.SUCCEEDED, refunded__lte=F("amount") - amount
        ).update(refunded=F("refunded") + amount)
        if not taken or amount <= 0:
            raise RefundRefused("The refund is larger than what is left of the payment.")
        return SandboxRefund.objects.create(
            charge=SandboxCharge.objects.get(reference=reference),
            reference=f"sbr_{secrets.token_hex(10)}",
            idempotency_key=idempotency_key,
            amount=amount,
            reason=reason[:200],
        )


# --- Webhooks --------------------------------------------------------------------------------------------


def webhook_sign(body: bytes, timestamp: int, secret: str | None = None) -> str:
    """The signature header value for a body: `t=<unix time>,v1=<hex HMAC-SHA256 of "t.body">`."""
    key = (secret or settings.PAYMENT_WEBHOOK_SECRET).encode()
    digest = hmac.new(key, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def webhook_schedule(reference: str) -> None:
    """Deliver the charge's event from a task, after the charge's change has committed."""
    from sandbox.tasks import webhook_deliver

    transaction.on_commit(lambda: webhook_deliver.enqueue(reference, 1))


def charge_public_status(charge: SandboxCharge) -> str:
    """The charge's state in the provider API's words (orders.gateways.base.GatewayStatus)."""
    return {
        S.OPEN: "open",
        S.CHALLENGE: "open",
        S.PENDING: "pending",
        S.SUCCEEDED: "succeeded",
    }.get(charge.status, "failed")


def charge_data(charge: SandboxCharge) -> dict:
    """The charge as the provider's API shows it."""
    return {
        "reference": charge.reference,
        "idempotency_key": charge.idempotency_key,
        "status": charge_public_status(charge),
        "amount": str(charge.amount),
        "currency": charge.currency,
        "message": DECLINE_MESSAGES.get(charge.decline_code, ""),
    }


def webhook_event(reference: str) -> tuple[bytes, dict[str, str]]:
    """Finish a pending charge (the provider's asynchronous work) and build its signed event."""
    SandboxCharge.objects.filter(reference=reference, status=S.PENDING).update(
        status=S.SUCCEEDED, confirmations=F("confirmations") + 1
    )
    data = charge_data(SandboxCharge.objects.get(reference=reference))
    body = json.dumps(
        {
            "id": f"evt_{secrets.token_hex(10)}",
            "type": f"payment.{data['status']}",
            "created": int(time.time()),
            "data": data,
        }
    ).encode()
    return body, {SIGNATURE_HEADER: webhook_sign(body, int(time.time()))}
