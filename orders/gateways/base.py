"""The payment gateway interface: the small, swappable shape every provider implements.

Like Django's session engines: one class per provider, chosen by a setting (PAYMENT_GATEWAY). Our code
calls only these methods, never while holding a database transaction or row lock, because a provider
can take seconds to answer (or never answer).
"""

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Literal

# What a provider says about one payment.
#   requires_confirmation: created, no card given yet: nothing was charged.
#   pending: the provider accepted the card and will confirm later (a webhook says how it ended).
#   succeeded / failed / refunded: final for that payment.
GatewayStatus = Literal["requires_confirmation", "pending", "succeeded", "failed", "refunded"]


class GatewayError(Exception):
    """The provider refused the request; the message is safe to show to the shopper."""


class GatewayTimeout(GatewayError):
    """The provider did not answer in time: whether money moved is unknown until we ask again."""


class WebhookInvalid(GatewayError):
    """A webhook request we must ignore: bad signature, stale timestamp or unreadable body."""


@dataclass(frozen=True, repr=False)
class Card:
    """Card details on their way to the provider. Never stored, never logged: the repr hides the number."""

    number: str
    exp_month: int
    exp_year: int
    cvc: str
    holder: str = ""

    @property
    def last4(self) -> str:
        return self.number[-4:]

    def __repr__(self) -> str:
        return f"Card(…{self.last4})"


@dataclass(frozen=True)
class GatewayPayment:
    """The provider's view of one payment."""

    reference: str
    idempotency_key: str
    status: GatewayStatus
    amount: Decimal
    card_last4: str = ""
    message: str = ""


@dataclass(frozen=True)
class GatewayEvent:
    """A verified webhook event: `id` is unique per provider (replays are refused by it)."""

    id: str
    type: str
    created: datetime
    payment: GatewayPayment
    data: Mapping = field(default_factory=dict)


class PaymentGateway(ABC):
    """What our order code needs from a payment provider.

    Every method that moves money takes our idempotency key or the provider's reference, so calling it
    twice (a retry after a timeout, two workers) never charges or refunds twice.
    """

    name: str

    @abstractmethod
    def payment_create(
        self, *, idempotency_key: str, amount: Decimal, currency: str, description: str
    ) -> GatewayPayment:
        """Create (or, for a known key, return) a payment for an invoice; nothing is charged yet."""

    @abstractmethod
    def payment_confirm(self, *, reference: str, card: Card) -> GatewayPayment:
        """Charge the card for a created payment. Raises GatewayTimeout when the answer is lost."""

    @abstractmethod
    def payment_retrieve(self, *, idempotency_key: str) -> GatewayPayment | None:
        """Ask the provider how a payment stands (None: it never reached the provider)."""

    @abstractmethod
    def payment_refund(self, *, reference: str) -> GatewayPayment:
        """Refund a succeeded payment in full; refunding a refunded payment changes nothing."""

    @abstractmethod
    def webhook_verify(self, *, body: bytes, headers: Mapping[str, str]) -> GatewayEvent:
        """Check signature and timestamp of a webhook request and parse it; raises WebhookInvalid."""
