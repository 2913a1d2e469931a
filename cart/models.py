"""The cart: one per user or per anonymous token, kept in the database so any app instance serves it."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from catalog.models import Product, ProductVariant
from catalog.money import MONEY_DECIMAL_PLACES, MONEY_MAX_DIGITS


class Cart(models.Model):
    """A shopper's cart: owned by a user, or (anonymous visitors) by the random token in the cart cookie."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, related_name="cart", on_delete=models.CASCADE
    )
    token = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)
    # The line removed last, until the next change to the cart: what "Undo" puts back.
    removed_variant = models.ForeignKey(
        ProductVariant, null=True, blank=True, related_name="+", on_delete=models.SET_NULL, editable=False
    )
    removed_quantity = models.PositiveIntegerField(null=True, blank=True, editable=False)
    removed_price_seen = models.DecimalField(
        max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES, null=True, blank=True, editable=False
    )
    # The voucher code the shopper entered; discounts.services checks it again on every cart and review view.
    voucher = models.ForeignKey(
        "discounts.Voucher", null=True, blank=True, related_name="+", on_delete=models.SET_NULL, editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        constraints = [
            # Exactly one owner: a user or an anonymous token.
            models.CheckConstraint(
                condition=Q(user__isnull=False, token__isnull=True) | Q(user__isnull=True, token__isnull=False),
                name="cart_cart_one_owner",
            ),
        ]

    def __str__(self) -> str:
        return f"Cart of {self.user}" if self.user_id else f"Anonymous cart {self.pk}"


class CartLine(models.Model):
    """A variant in a cart. The price paid is always the variant's current price; `price_seen` is what the
    shopper last saw, so a change can be pointed out. `product` is the variant's product (cart.services sets
    both), kept so lists can show "in cart" per product without a join."""

    cart = models.ForeignKey(Cart, related_name="lines", on_delete=models.CASCADE)
    product = models.ForeignKey(Product, related_name="cart_lines", on_delete=models.PROTECT)
    variant = models.ForeignKey(ProductVariant, related_name="cart_lines", on_delete=models.PROTECT)
    quantity = models.PositiveIntegerField()
    price_seen = models.DecimalField(max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["cart", "variant"], name="cart_cartline_one_line_per_variant"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="cart_cartline_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.variant_id}"

    @property
    def unit_price(self):
        """The variant's price now, the sale price during a sale: what the shopper pays (needs `variant` and
        `product` loaded)."""
        return self.variant.price_now(self.product)[1]

    @property
    def regular_price(self):
        """The variant's price outside any sale: shown struck through while the line is on sale."""
        return self.variant.price_now(self.product)[0]

    @property
    def total(self):
        return self.unit_price * self.quantity

    @property
    def price_changed(self) -> bool:
        return self.price_seen != self.unit_price
