"""API credentials (tokens, hashed at rest), stored idempotent responses, and outbound webhooks."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Scope(models.TextChoices):
    """What a token may do; staff-only scopes are granted to staff users alone."""

    CATALOG_READ = "catalog:read", _("read the catalog")
    CART = "cart", _("cart and checkout, own orders")
    ACCOUNT = "account", _("read and change one's own account")
    CATALOG_WRITE = "catalog:write", _("staff: create, change and delete products")
    STATS_WRITE = "stats:write", _("log usage statistics")
    STATS_READ = "stats:read", _("staff: read usage statistics")
    MAIL_SEND = "mail:send", _("staff: send e-mail through the outbox")


STAFF_SCOPES = frozenset({Scope.CATALOG_WRITE, Scope.STATS_READ, Scope.MAIL_SEND})


class ApiToken(models.Model):
    """A bearer token. Only its SHA-256 is stored; the secret is shown once, when it is made.

    Personal tokens live until `expires_at` (or revocation); session tokens (a password login from an app)
    expire API_SESSION_TOKEN_TTL after their last use.
    """

    class Kind(models.TextChoices):
        PERSONAL = "personal", "personal"
        SESSION = "session", "session"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.PERSONAL)
    name = models.CharField(max_length=100, blank=True, help_text="What the token is for.")
    # The public part of the token (after the kind prefix): finds the row without the secret.
    lookup = models.CharField(max_length=16, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.name or self.get_kind_display()} token of {self.user} ({self.lookup})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class IdempotentRequest(models.Model):
    """The first response to a POST carrying an Idempotency-Key: a replay gets it back unchanged.

    A row without a status is a request still running; a concurrent repeat is told to retry.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE)
    # Anonymous callers (registration) are told apart by client address.
    client = models.CharField(max_length=64, blank=True)
    key = models.CharField(max_length=200)
    fingerprint = models.CharField(max_length=64, help_text="Method, path and body of the first request.")
    status = models.PositiveSmallIntegerField(null=True, blank=True)
    body = models.BinaryField(blank=True, default=b"")
    content_type = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], condition=Q(user__isnull=False), name="api_idem_user_key"),
            models.UniqueConstraint(
                fields=["client", "key"], condition=Q(user__isnull=True), name="api_idem_client_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.status or 'running'})"


class WebhookEvent(models.TextChoices):
    ORDER_PAID = "order.paid", "order paid"
    ORDER_SHIPPED = "order.shipped", "order shipped"
    PRODUCT_UPDATED = "product.updated", "product updated"
    STOCK_LOW = "stock.low", "stock low"


class Webhook(models.Model):
    """An integration's URL, told about the events it subscribed to by signed POSTs."""

    url = models.URLField(max_length=500)
    events = models.JSONField(default=list, help_text="Event names, e.g. order.paid, product.updated.")
    secret = models.CharField(max_length=64, help_text="HMAC-SHA256 key of the X-Shop-Signature header.")
    is_active = models.BooleanField("active", default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["url", "id"]

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(models.Model):
    """One event for one webhook: written with the change that caused it, sent by a task, retried with backoff."""

    class Status(models.TextChoices):
        PENDING = "pending", "pending"
        DELIVERED = "delivered", "delivered"
        FAILED = "failed", "failed (will retry)"
        DEAD = "dead", "dead (gave up)"

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=32, choices=WebhookEvent.choices)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="api_delivery_status_due")]

    def __str__(self) -> str:
        return f"{self.event} → {self.webhook_id} ({self.status})"
