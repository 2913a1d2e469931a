"""Vouchers (a code the shopper types) and promotions (rules that apply by themselves).

A voucher's code is matched case-insensitively and unique on its upper-cased form; `times_used` moves
only by the conditional UPDATE in discounts.services.voucher_redeem, behind a CHECK that it never
passes the limit. Validity windows are half-open: valid from `valid_from` (included) until
`valid_until` (excluded).
"""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper
from django.utils import timezone

from catalog.money import MONEY_DECIMAL_PLACES, MONEY_MAX_DIGITS


def _money(**kwargs) -> models.DecimalField:
    return models.DecimalField(max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES, **kwargs)


def code_normalise(code: str) -> str:
    """The form a code is stored and compared in: trimmed, upper case."""
    return code.strip().upper()


class Voucher(models.Model):
    """A code worth a percentage, a fixed amount or free shipping, on the whole order or some products."""

    class Kind(models.TextChoices):
        PERCENTAGE = "percentage", "percentage off"
        FIXED = "fixed", "fixed amount off"
        FREE_SHIPPING = "free_shipping", "free shipping"

    code = models.CharField(max_length=32, help_text="What the shopper types; upper and lower case are the same.")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.PERCENTAGE)
    value = models.DecimalField(
        max_digits=MONEY_MAX_DIGITS,
        decimal_places=MONEY_DECIMAL_PLACES,
        default=0,
        validators=[MinValueValidator(0)],
        help_text="Percent for a percentage, an amount for a fixed amount; ignored for free shipping.",
    )
    # Empty scope: the whole order. Otherwise only lines of these categories (and their subcategories)
    # or these products count, for the discount and for nothing else.
    categories = models.ManyToManyField("catalog.Category", blank=True, related_name="vouchers")
    products = models.ManyToManyField("catalog.Product", blank=True, related_name="vouchers")
    minimum_order = _money(default=0, help_text="Goods value (before discounts) the cart must reach.")
    valid_from = models.DateTimeField(null=True, blank=True)
    valid_until = models.DateTimeField(null=True, blank=True, help_text="No longer valid from this moment.")
    usage_limit = models.PositiveIntegerField(null=True, blank=True, help_text="Orders in all; empty for no limit.")
    per_customer_limit = models.PositiveIntegerField(
        null=True, blank=True, help_text="Orders per e-mail address (guests and members); empty for no limit."
    )
    is_active = models.BooleanField("active", default=True)
    times_used = models.PositiveIntegerField(default=0, editable=False)
    batch = models.CharField(max_length=64, blank=True, help_text="The bulk generation this code came from.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                Upper("code"),
                name="discounts_voucher_code_unique_ci",
                violation_error_message="A voucher with this code exists already (upper and lower case are the same).",
            ),
            models.CheckConstraint(
                condition=Q(usage_limit__isnull=True) | Q(times_used__lte=F("usage_limit")),
                name="discounts_voucher_within_limit",
            ),
            models.CheckConstraint(
                condition=~Q(kind="percentage") | Q(value__lte=100),
                name="discounts_voucher_percent_at_most_100",
                violation_error_message="A percentage is at most 100.",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    def scope_ids(self) -> tuple[frozenset[int], frozenset[int]]:
        """(category ids, product ids) of the scope, read once per instance in one query."""
        cached = getattr(self, "_scope", None)
        if cached is None:
            through_c = Voucher.categories.through.objects.filter(voucher_id=self.pk)
            through_p = Voucher.products.through.objects.filter(voucher_id=self.pk)
            rows = (
                through_c.annotate(kind=models.Value("c"))
                .values_list("kind", "category_id")
                .union(through_p.annotate(kind=models.Value("p")).values_list("kind", "product_id"), all=True)
            )
            rows = list(rows)
            cached = (
                frozenset(pk for kind, pk in rows if kind == "c"),
                frozenset(pk for kind, pk in rows if kind == "p"),
            )
            self._scope = cached
        return cached

    def scope_set_empty(self) -> None:
        """The caller knows the voucher covers the whole order (see cart.services.cart_get)."""
        self._scope = (frozenset(), frozenset())


class Redemption(models.Model):
    """One use of a voucher: the order it went into and who ordered (for the per-customer limit)."""

    voucher = models.ForeignKey(Voucher, on_delete=models.PROTECT, related_name="redemptions")
    order = models.OneToOneField("orders.Order", on_delete=models.CASCADE, related_name="redemption")
    email = models.EmailField(max_length=254, help_text="Lower-cased: the per-customer limit counts by it.")
    amount = _money(help_text="What the voucher took off, goods and shipping.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["voucher", "email"], name="discounts_redemption_by_email")]

    def __str__(self) -> str:
        return f"{self.voucher} on {self.order_id}"


class Promotion(models.Model):
    """A rule that applies without a code. Higher priority applies first (to what is left of each line)."""

    class Kind(models.TextChoices):
        CATEGORY_PERCENT = "category_percent", "percentage off a category"
        BUY_N_PAY_M = "buy_n_pay_m", "buy N, pay for M (of a product)"
        FREE_SHIPPING_OVER = "free_shipping_over", "free shipping over an amount"

    name = models.CharField(max_length=100, help_text="What the cart shows: “10 % off shoes”.")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    category = models.ForeignKey(
        "catalog.Category", null=True, blank=True, on_delete=models.CASCADE, related_name="promotions"
    )
    product = models.ForeignKey(
        "catalog.Product", null=True, blank=True, on_delete=models.CASCADE, related_name="promotions"
    )
    percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="For a percentage off a category.",
    )
    buy_quantity = models.PositiveIntegerField(null=True, blank=True, help_text="N of “buy N, pay for M”.")
    pay_quantity = models.PositiveIntegerField(null=True, blank=True, help_text="M of “buy N, pay for M”.")
    threshold = _money(default=0, help_text="For free shipping: goods value (after discounts) to reach.")
    priority = models.IntegerField(default=0, help_text="Higher applies first.")
    stacks_with_vouchers = models.BooleanField(
        default=True,
        help_text="Off: with a voucher, either this promotion or the voucher applies, whichever saves more.",
    )
    is_active = models.BooleanField("active", default=True)
    valid_from = models.DateTimeField(null=True, blank=True)
    valid_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-priority", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="category_percent") | Q(category__isnull=False),
                name="discounts_promotion_category",
                violation_error_message="A percentage off a category needs the category.",
            ),
            models.CheckConstraint(
                condition=~Q(kind="buy_n_pay_m")
                | Q(product__isnull=False, buy_quantity__gt=F("pay_quantity"), pay_quantity__gte=0),
                name="discounts_promotion_buy_n_pay_m",
                violation_error_message="“Buy N, pay for M” needs the product, and N larger than M.",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class AppliedDiscount(models.Model):
    """What an order saved, per promotion or voucher, as the shopper saw it (the usage counts' source)."""

    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="applied_discounts")
    promotion = models.ForeignKey(Promotion, null=True, blank=True, on_delete=models.SET_NULL, related_name="uses")
    voucher = models.ForeignKey(Voucher, null=True, blank=True, on_delete=models.SET_NULL, related_name="uses")
    label = models.CharField(max_length=200)
    amount = _money()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.label}: {self.amount}"
