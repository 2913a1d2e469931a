"""The payment gateway interface: the small, swappable shape every hosted-payment provider implements.

Like Django's session engines: one class per provider, chosen by a setting (PAYMENT_GATEWAY). The card is
entered on the provider's own page, never on ours: we start a payment and get the provider's URL, the
shopper comes back to our return URL, and the provider tells us the outcome by signed webhook. Our code
calls these methods only, never while holding a database transaction or row lock, because a provider
can take seconds to answer (or never answer).
"""

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Literal

# What a provider says about one payment.
#   open: the provider's page waits for the shopper; nothing charged yet, but it still may be.
#   pending: the provider accepted the payment and confirms later (a webhook says how it ended).
#   succeeded: the money was taken.
#   failed: declined, cancelled or expired: nothing was charged and nothing can be any more.
GatewayStatus = Literal["open", "pending", "succeeded", "failed"]


class GatewayError(Exception):
    """The provider refused the request; the message is safe to show to the shopper or staff."""


class GatewayTimeout(GatewayError):
    """The provider did not answer in time: whether anything happened is unknown until we ask again."""


class WebhookInvalid(GatewayError):
    """A webhook request we must ignore: bad signature, stale timestamp or unreadable body."""


@dataclass(frozen=True)
class GatewayPayment:
    """The provider's view of one payment (a hosted session). `idempotency_key` is ours, echoed back."""

    reference: str
    idempotency_key: str
    status: GatewayStatus
    amount: Decimal
    currency: str
    redirect_url: str = ""
    message: str = ""


@dataclass(frozen=True)
class GatewayRefund:
    """The provider's answer to a refund request."""

    reference: str
    amount: Decimal
    status: Literal["succeeded", "pending", "failed"]
    message: str = ""


@dataclass(frozen=True)
class GatewayEvent:
    """A verified webhook event: `id` is unique per provider (replays are recognised by it).

    `payment` is None for an event type we do not act on.
    """

    id: str
    type: str
    created: datetime
    payment: GatewayPayment | None
    data: Mapping = field(default_factory=dict)


class PaymentGateway(ABC):
    """What our order code needs from a hosted-payment provider.

    Every method that moves money takes our idempotency key or the provider's reference, so calling it
    twice (a retry after a timeout, two requests at once) never charges or refunds twice.
    """

    name: str

    @abstractmethod
    def payment_start(
        self, *, idempotency_key: str, amount: Decimal, currency: str, description: str, return_url: str
    ) -> GatewayPayment:
        """Start (or, for a known key, return) the provider's payment page for an amount.

        `redirect_url` of the answer is where the shopper goes to pay; the provider sends them back to
        `return_url` afterwards. Raises GatewayTimeout when the answer is lost, GatewayError on refusal.
        """

    @abstractmethod
    def payment_retrieve(self, *, idempotency_key: str, reference: str = "") -> GatewayPayment | None:
        """Ask the provider how a payment stands (None: it never reached the provider, nothing can be charged)."""

    @abstractmethod
    def payment_cancel(self, *, reference: str) -> GatewayPayment:
        """Close an unfinished payment so it can never be charged; returns how it stands (it may have succeeded)."""

    @abstractmethod
    def payment_refund(
        self, *, reference: str, amount: Decimal, idempotency_key: str, reason: str = ""
    ) -> GatewayRefund:
        """Give back `amount` (all or part) of a succeeded payment, once per idempotency key."""

    @abstractmethod
    def webhook_verify(self, *, body: bytes, headers: Mapping[str, str]) -> GatewayEvent:
        """Check the signature and timestamp of a webhook request and parse it; raises WebhookInvalid."""
