"""The shop's brand (one row) and its content pages (imprint, terms, privacy, ...), edited in the admin."""

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.urls import reverse

from storefront.colors import AA_NORMAL_TEXT, HEX_COLOUR, WHITE, contrast_ratio, darken_to_aa

DEFAULT_ACCENT = "#0b5cad"


def validate_accent(value: str) -> None:
    """The accent is link text on white and the background of white button text: it must reach AA (4.5:1)."""
    if not HEX_COLOUR.match(value or ""):
        raise ValidationError("Enter a colour as # and six hex digits, e.g. #0b5cad.", code="invalid")
    ratio = contrast_ratio(value, WHITE)
    if ratio < AA_NORMAL_TEXT:
        raise ValidationError(
            "%(value)s has a contrast of %(ratio).2f:1 against white; text needs at least 4.5:1 (WCAG AA). "
            "The same hue darkened enough is %(suggestion)s.",
            code="contrast",
            params={"value": value, "ratio": ratio, "suggestion": darken_to_aa(value)},
        )


class Brand(models.Model):
    """The shop's name, logo, accent colour and the contact details its footer and imprint show. One row."""

    name = models.CharField("shop name", max_length=80, help_text="Shown in the header, titles and mail.")
    logo = models.ImageField(
        upload_to="brand/", blank=True, help_text="Shown in the header instead of the name; SVG, PNG or WebP."
    )
    accent_colour = models.CharField(
        max_length=7,
        default=DEFAULT_ACCENT,
        validators=[RegexValidator(HEX_COLOUR.pattern), validate_accent],
        help_text="Buttons and links, e.g. #0b5cad. Must reach 4.5:1 contrast against white (WCAG AA).",
    )
    tagline = models.CharField(max_length=160, blank=True, help_text="A line under the home page's heading.")
    meta_description = models.CharField(
        max_length=300,
        blank=True,
        help_text="The search-result snippet of pages that have none of their own (products and categories do).",
    )
    legal_name = models.CharField(max_length=160, blank=True, help_text="The company behind the shop (imprint).")
    address = models.TextField(blank=True, help_text="Postal address, shown in the footer and the imprint.")
    email = models.EmailField(blank=True, help_text="Customer service address.")
    phone = models.CharField(max_length=40, blank=True)
    payment_methods = models.CharField(
        max_length=200,
        blank=True,
        default="Visa, Mastercard, American Express",
        help_text="Listed in the footer, comma-separated.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "brand"
        verbose_name_plural = "brand"
        constraints = [models.CheckConstraint(condition=models.Q(pk=1), name="brand_single_row")]

    def __str__(self) -> str:
        return self.name

    @property
    def payment_method_list(self) -> list[str]:
        return [m.strip() for m in self.payment_methods.split(",") if m.strip()]


class Page(models.Model):
    """A content page: the legal pages a shop must have, plus any the merchant adds."""

    class Group(models.TextChoices):
        SERVICE = "service", "customer service"
        LEGAL = "legal", "legal"

    title = models.CharField(max_length=120)
    slug = models.SlugField(max_length=80, unique=True, help_text="The address: /pages/<slug>/.")
    group = models.CharField(max_length=10, choices=Group.choices, help_text="The footer column it is listed in.")
    body = models.TextField(help_text="Plain text; blank lines separate paragraphs.")
    meta_description = models.CharField(max_length=300, blank=True)
    position = models.PositiveIntegerField(default=0, help_text="Lower numbers come first in the footer.")
    is_published = models.BooleanField("published", default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["group", "position", "title"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("storefront:page", args=[self.slug])
