"""Orders, their invoices and payments; the order status machine lives here (TRANSITIONS).

Invoice first: an order and its invoice exist before any money moves. A Payment row is one attempt at
paying an invoice, keyed by an idempotency key that the gateway sees too.
"""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from catalog.money import money_field as _money


class Order(models.Model):
    """What a shopper bought: snapshots of lines, address and totals, and where it stands."""

    class Status(models.TextChoices):
        PENDING_PAYMENT = "pending_payment", _("awaiting payment")
        PAID = "paid", _("paid")
        SHIPPED = "shipped", _("shipped")
        COMPLETED = "completed", _("completed")
        CANCELLED = "cancelled", _("cancelled")
        REFUNDED = "refunded", _("refunded")

    number = models.CharField(max_length=16, unique=True, help_text="Human-friendly, shown to the shopper.")
    # SET_NULL: deleting an account keeps its orders (bookkeeping); the e-mail snapshot stays.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="orders"
    )
    email = models.EmailField("e-mail address", max_length=254)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING_PAYMENT)
    # The language the shopper placed the order in (a LANGUAGES code): every mail about it is written in it.
    language = models.CharField(max_length=7, default="en", db_default="en")
    currency = models.CharField(max_length=3)
    subtotal = _money()
    shipping_method = models.CharField(max_length=32)
    shipping_label = models.CharField(max_length=100)
    shipping_cost = _money()
    tax_rate = models.DecimalField(max_digits=5, decimal_places=4, default=0)
    tax = _money(default=0)
    total = _money()
    # Discounts: goods (the sum of the lines' discounts) and shipping; the voucher code as typed at the time.
    discount = _money(default=0)
    shipping_discount = _money(default=0)
    voucher_code = models.CharField(max_length=32, blank=True, default="")
    # The shipping address as it was when the order was placed.
    ship_name = models.CharField("name", max_length=150)
    ship_line1 = models.CharField("address line 1", max_length=200)
    ship_line2 = models.CharField("address line 2", max_length=200, blank=True)
    ship_city = models.CharField("city", max_length=100)
    ship_postcode = models.CharField("postcode", max_length=20)
    ship_country = models.CharField("country", max_length=2)
    ship_phone = models.CharField("phone", max_length=32, blank=True)
    # Tax as placed: the basis the prices were in, EU reverse charge, and the business that bought.
    prices_include_tax = models.BooleanField(default=True)
    reverse_charge = models.BooleanField(default=False)
    reverse_charge_deduction = _money(default=0, help_text="Reverse charge on gross prices: their VAT, not charged.")
    buyer_company = models.CharField("company", max_length=200, blank=True)
    buyer_vat_number = models.CharField("VAT number", max_length=20, blank=True)
    # True while the lines' quantities are taken off product stock and not given back.
    stock_held = models.BooleanField(default=True)
    # The usage statistics' visitor token of the shopper who placed it, so the payment, learned later
    # without a request (webhook, reconciliation), joins the same visitor's funnel. Empty when the shopper
    # opted out (Do-Not-Track, Global Privacy Control) or was not recorded: nothing is recorded later either.
    analytics_visitor = models.CharField(max_length=32, blank=True, default="", editable=False)
    # One per review page: a repeated "Place order" finds the order it already placed.
    checkout_token = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    reserved_until = models.DateTimeField(help_text="Unpaid orders are cancelled after this and their stock released.")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "reserved_until"], name="orders_order_status_reserved")]
        constraints = [
            models.CheckConstraint(
                condition=Q(subtotal__gte=0) & Q(shipping_cost__gte=0) & Q(tax__gte=0) & Q(total__gte=0),
                name="orders_order_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending_payment", "paid", "shipped", "completed", "cancelled", "refunded"]),
                name="orders_order_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"Order {self.number}"

    def get_absolute_url(self) -> str:
        return reverse("orders:order-detail", args=[self.number])

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL

    @property
    def address_lines(self) -> list[str]:
        country = countries.name(self.ship_country) or self.ship_country
        parts = (
            self.ship_name,
            self.ship_line1,
            self.ship_line2,
            f"{self.ship_postcode} {self.ship_city}".strip(),
            country,
        )
        return [p for p in parts if p]


S = Order.Status
# The status machine: the one place that says which transition is allowed.
TRANSITIONS: dict[str, frozenset[str]] = {
    S.PENDING_PAYMENT: frozenset({S.PAID, S.CANCELLED}),
    S.PAID: frozenset({S.SHIPPED, S.REFUNDED}),
    S.SHIPPED: frozenset({S.COMPLETED, S.REFUNDED}),
    S.COMPLETED: frozenset({S.REFUNDED}),
    S.CANCELLED: frozenset(),
    S.REFUNDED: frozenset(),
}
# Where the shopper has nothing more to wait for: the order page stops polling.
TERMINAL = frozenset({S.COMPLETED, S.CANCELLED, S.REFUNDED})


class OrderLine(models.Model):
    """A snapshot of one cart line at the moment the order was placed."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    # PROTECT: an ordered product can be archived, never hard-deleted.
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="order_lines")
    variant = models.ForeignKey("catalog.ProductVariant", on_delete=models.PROTECT, related_name="order_lines")
    name = models.CharField(max_length=200)
    variant_label = models.CharField(
        max_length=200, blank=True, help_text="The variant's options when ordered (“M / Blue”); empty for a default."
    )
    sku = models.CharField("SKU", max_length=64, help_text="The variant's SKU when ordered.")
    unit_price = _money()
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    line_total = _money()
    tax_rate = models.DecimalField("tax rate (%)", max_digits=5, decimal_places=2, default=0)
    discount = _money(default=0, help_text="Promotions and voucher on this line; line_total is before it.")

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "variant"], name="orders_orderline_one_per_variant"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="orders_orderline_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="orders_orderline_price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.full_name}"

    @property
    def full_name(self) -> str:
        """The product's name with the variant's options, as ordered: "T-shirt (M / Blue)"."""
        return f"{self.name} ({self.variant_label})" if self.variant_label else self.name


class OrderTaxLine(models.Model):
    """One rate's part of an order's tax, as placed: the invoice's breakdown."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="tax_lines")
    rate = models.DecimalField("rate (%)", max_digits=5, decimal_places=2)
    net = _money()
    tax = _money()
    gross = _money()

    class Meta:
        ordering = ["-rate", "id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "rate"], name="orders_ordertaxline_one_per_rate"),
            models.CheckConstraint(condition=Q(rate__gte=0) & Q(rate__lte=100), name="orders_ordertaxline_rate_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.rate} %: {self.tax} on {self.net}"


class OrderTransition(models.Model):
    """History: one row per status change, with who or what caused it."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=20, blank=True, help_text="Empty for the order's creation.")
    to_status = models.CharField(max_length=20)
    at = models.DateTimeField(default=timezone.now)
    actor = models.CharField(max_length=200, help_text="A user, the payment gateway, a task…")
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or '∅'} → {self.to_status}"

    @property
    def to_status_label(self) -> str:
        """The status's words as every other page shows them ("awaiting payment", not "pending_payment")."""
        try:
            return Order.Status(self.to_status).label
        except ValueError:
            return self.to_status.replace("_", " ")


class NumberCounter(models.Model):
    """One row holding the last number given out: incremented under its row lock, so numbers have no gaps."""

    last = models.PositiveBigIntegerField(default=0)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"last number {self.last}"


class InvoiceCounter(NumberCounter):
    pass


class CreditNoteCounter(NumberCounter):
    pass


class Invoice(models.Model):
    """The bill for an order, created with it: payments pay an invoice, never an order directly."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        PAID = "paid", _("paid")
        VOID = "void", _("void")

    order = models.OneToOneField(Order, on_delete=models.CASCADE, related_name="invoice")
    number = models.PositiveBigIntegerField(unique=True)
    amount_due = _money()
    # The sum of its credit notes (refunds made), kept with them under the invoice's row lock.
    amount_refunded = _money(default=0)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    issued_at = models.DateTimeField(default=timezone.now)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_due__gte=0), name="orders_invoice_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(amount_refunded__gte=0) & Q(amount_refunded__lte=F("amount_due")),
                name="orders_invoice_refunds_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return self.display_number

    @property
    def display_number(self) -> str:
        return f"INV-{self.number:06d}"


class Payment(models.Model):
    """One attempt at paying an invoice, on the provider's hosted page: no card data ever gets here."""

    class Status(models.TextChoices):
        PROCESSING = "processing", _("processing")
        PENDING = "pending", _("awaiting confirmation")
        UNKNOWN = "unknown", _("no answer from the gateway")
        SUCCEEDED = "succeeded", _("succeeded")
        FAILED = "failed", _("failed")
        REFUNDED = "refunded", _("refunded")

    IN_FLIGHT = (Status.PROCESSING, Status.PENDING, Status.UNKNOWN)

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    gateway = models.CharField(max_length=32)
    idempotency_key = models.CharField(max_length=64, unique=True)
    amount = _money()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PROCESSING)
    gateway_reference = models.CharField(max_length=100, blank=True)
    # Where the shopper pays (the provider's hosted page for this attempt): a second Pay click goes back there.
    redirect_url = models.CharField(max_length=2000, blank=True)
    message = models.CharField(max_length=300, blank=True, help_text="The gateway's reason for a failure.")
    needs_review = models.BooleanField(
        default=False, help_text="The provider reported something that does not match the invoice: staff must look."
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # At most one attempt in flight per invoice: a second Pay waits for the first to finish.
            models.UniqueConstraint(
                fields=["invoice"],
                condition=Q(status__in=["processing", "pending", "unknown"]),
                name="orders_payment_one_in_flight_per_invoice",
            ),
            # At most one successful payment per invoice: never two charges for one bill.
            models.UniqueConstraint(
                fields=["invoice"], condition=Q(status="succeeded"), name="orders_payment_one_success_per_invoice"
            ),
            models.UniqueConstraint(
                fields=["gateway", "gateway_reference"],
                condition=~Q(gateway_reference=""),
                name="orders_payment_reference_unique",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="orders_payment_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.gateway} {self.gateway_reference or self.idempotency_key} ({self.status})"


class Refund(models.Model):
    """Money given back from a succeeded payment, all or part. Pending refunds count against what is left."""

    class Status(models.TextChoices):
        PENDING = "pending", _("asked the provider")
        SUCCEEDED = "succeeded", _("refunded")
        FAILED = "failed", _("refused by the provider")

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = _money()
    reason = models.CharField(max_length=200)
    restock = models.BooleanField(default=False, help_text="Staff chose to put the order's items back in stock.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    idempotency_key = models.CharField(max_length=64, unique=True)
    gateway_reference = models.CharField(max_length=100, blank=True)
    message = models.CharField(max_length=300, blank=True)
    actor = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="orders_refund_amount_positive")]

    def __str__(self) -> str:
        return f"refund {self.amount} of {self.payment_id} ({self.status})"


class CreditNote(models.Model):
    """The bookkeeping record of a refund, numbered without gaps like invoices."""

    refund = models.OneToOneField(Refund, on_delete=models.PROTECT, related_name="credit_note")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="credit_notes")
    number = models.PositiveBigIntegerField(unique=True)
    amount = _money()
    issued_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["number"]

    def __str__(self) -> str:
        return self.display_number

    @property
    def display_number(self) -> str:
        return f"CN-{self.number:06d}"


class WebhookEvent(models.Model):
    """Every accepted webhook event id: a replayed event finds its row and changes nothing."""

    gateway = models.CharField(max_length=32)
    event_id = models.CharField(max_length=100)
    event_type = models.CharField(max_length=64)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-received_at"]
        constraints = [models.UniqueConstraint(fields=["gateway", "event_id"], name="orders_webhookevent_once")]

    def __str__(self) -> str:
        return f"{self.gateway} {self.event_type} {self.event_id}"
