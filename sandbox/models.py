"""The sandbox provider's own ledger: it stands in for a remote provider's servers.

Our order code never reads these tables; it talks to the provider through orders.gateways only. A
production deployment leaves the app out of INSTALLED_APPS (PAYMENT_SANDBOX=0) and has no such tables.
"""

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from catalog.money import money_field


class SandboxCharge(models.Model):
    """One hosted payment session at the sandbox provider, from "open" to its outcome."""

    class Status(models.TextChoices):
        OPEN = "open", "waiting for the shopper"
        CHALLENGE = "challenge", "waiting for 3-D Secure"
        PENDING = "pending", "accepted, confirmed later"
        SUCCEEDED = "succeeded", "succeeded"
        DECLINED = "declined", "declined"
        CANCELED = "canceled", "cancelled"

    reference = models.CharField(max_length=40, unique=True)
    idempotency_key = models.CharField(max_length=64, unique=True)
    amount = money_field()
    currency = models.CharField(max_length=3)
    description = models.CharField(max_length=200)
    return_url = models.CharField(max_length=1000)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    decline_code = models.CharField(max_length=40, blank=True)
    # Only what a provider shows back: the last four digits, never the number.
    card_last4 = models.CharField(max_length=4, blank=True)
    confirmations = models.PositiveIntegerField(default=0, help_text="Charges actually made: never more than one.")
    refunded = money_field(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(refunded__lte=F("amount")), name="sandbox_charge_refund_within_amount"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.status}"


class SandboxRefund(models.Model):
    """A refund the sandbox made, once per idempotency key."""

    charge = models.ForeignKey(SandboxCharge, on_delete=models.CASCADE, related_name="refunds")
    reference = models.CharField(max_length=40, unique=True)
    idempotency_key = models.CharField(max_length=64, unique=True)
    amount = money_field()
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.reference} {self.amount}"
