from django.db import models
from django.db.models import Q
from django.utils import timezone


class Message(models.Model):
    """One e-mail in the outbox: written with the event that caused it, delivered by a task.

    queued -> sending -> sent; a failed attempt goes to failed (retried at next_attempt_at) or, after
    NOTIFY_MAX_ATTEMPTS, to dead. Bulk mail over a rate limit is dropped with the reason in last_error.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "queued"
        SENDING = "sending", "sending"
        SENT = "sent", "sent"
        FAILED = "failed", "failed (will retry)"
        DEAD = "dead", "dead (gave up)"
        DROPPED = "dropped", "dropped (rate limit)"

    class Kind(models.TextChoices):
        WELCOME = "welcome", "welcome"
        PASSWORD_RESET = "password_reset", "password reset"
        ORDER_CONFIRMATION = "order_confirmation", "order confirmation"
        PAYMENT_RECEIPT = "payment_receipt", "payment receipt"
        ORDER_SHIPPED = "order_shipped", "order shipped"
        ORDER_CANCELLED = "order_cancelled", "order cancelled"
        ORDER_REFUNDED = "order_refunded", "order refunded"
        EMAIL_CONFIRM = "email_confirm", "e-mail confirmation"
        ORDER_LINK = "order_link", "order link"
        DATA_EXPORT = "data_export", "data export ready"
        TEST = "test", "test message"

    to = models.EmailField("recipient", max_length=254)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    bulk = models.BooleanField(default=False, help_text="Bulk mail is dropped over a rate limit; other mail waits.")
    subject = models.CharField(max_length=255)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    message_id = models.CharField("Message-ID", max_length=255, unique=True)
    vouched_by = models.CharField(max_length=100, help_text="What made the address known: a user, an order, …")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True, help_text="The last delivery error, or why the message waits.")
    created_at = models.DateTimeField(default=timezone.now)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True, help_text="When a worker took it for sending.")
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="notif_msg_status_due"),
            models.Index(fields=["sent_at"], name="notif_msg_sent_at"),
            models.Index(fields=["created_at"], name="notif_msg_created_at"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False), name="notif_msg_sent_has_sent_at"
            ),
            models.CheckConstraint(
                condition=~Q(status="sending") | Q(claimed_at__isnull=False), name="notif_msg_sending_has_claimed_at"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.to} ({self.status})"
