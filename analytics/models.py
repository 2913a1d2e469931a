"""Usage events (raw, pruned after a while) and their daily roll-ups (kept, anonymous aggregates)."""

from django.db import models
from django.db.models import Q


class EventName(models.TextChoices):
    """Every event the shop records. The report computes each figure from these names only."""

    PRODUCT_VIEWED = "product_viewed", "product viewed"
    SEARCH = "search", "search"
    CART_ADD = "cart_add", "added to cart"
    CART_REMOVE = "cart_remove", "removed from cart"
    CHECKOUT_STARTED = "checkout_started", "checkout started"
    ORDER_PLACED = "order_placed", "order placed"
    PAYMENT_SUCCEEDED = "payment_succeeded", "payment succeeded"
    PAYMENT_FAILED = "payment_failed", "payment failed"
    REGISTERED = "registered", "registered"
    LOGGED_IN = "logged_in", "logged in"


class Event(models.Model):
    """One thing a shopper did. `visitor` is a random cookie token, never an IP address.

    `user_id` is a plain integer (no foreign key): recording never waits on the user table, and
    `analytics.services.events_forget_user` removes a deleted account's events.
    Typed properties: `query` (search), `count` (search results, cart quantity), `amount` (money),
    `variant_id` (which variant of the product went into or out of the cart).
    """

    name = models.CharField(max_length=32, choices=EventName.choices)
    occurred_at = models.DateTimeField()
    user_id = models.BigIntegerField(null=True, blank=True)
    visitor = models.CharField(max_length=32, blank=True)
    object_id = models.BigIntegerField(null=True, blank=True, help_text="Product, order, … depending on the event.")
    variant_id = models.BigIntegerField(null=True, blank=True, help_text="The product's variant (cart events).")
    query = models.CharField(max_length=100, blank=True)
    count = models.IntegerField(null=True, blank=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["occurred_at"], name="analytics_event_occurred"),
            models.Index(fields=["user_id"], name="analytics_event_user", condition=Q(user_id__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.name} at {self.occurred_at:%Y-%m-%d %H:%M:%S}"


class RolledUpDay(models.Model):
    """A day whose roll-ups are stored; `rolled_at` tells whether that happened after the day was over."""

    day = models.DateField(primary_key=True)
    rolled_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.day} rolled up at {self.rolled_at:%Y-%m-%d %H:%M}"


class DailyMetric(models.Model):
    """Per day and event name: events, distinct actors (visitors) and money. `visits` counts any event."""

    VISITS = "visits"

    day = models.DateField()
    metric = models.CharField(max_length=32)
    events = models.PositiveIntegerField(default=0)
    actors = models.PositiveIntegerField(default=0)
    amount = models.DecimalField(max_digits=14, decimal_places=2, default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "metric"], name="analytics_daily_metric_unique")]

    def __str__(self) -> str:
        return f"{self.day} {self.metric}"


class DailyProduct(models.Model):
    """Per day and product: views and add-to-carts (the top-products table)."""

    day = models.DateField()
    product_id = models.BigIntegerField()
    views = models.PositiveIntegerField(default=0)
    cart_adds = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "product_id"], name="analytics_daily_product_unique")]

    def __str__(self) -> str:
        return f"{self.day} product {self.product_id}"


class DailySearch(models.Model):
    """Per day and normalised query: how often it was searched and how often it found nothing."""

    day = models.DateField()
    query = models.CharField(max_length=100)
    searches = models.PositiveIntegerField(default=0)
    zero_results = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "query"], name="analytics_daily_search_unique")]

    def __str__(self) -> str:
        return f"{self.day} {self.query!r}"
