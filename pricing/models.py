"""Tax classes (standard, reduced, zero) and the rate each has per country, and region where one differs."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django_countries.fields import CountryField

STANDARD = "standard"
# The classes every shop has (pricing migration 0002 makes them); products default to the standard one.
DEFAULT_TAX_CLASSES = [(STANDARD, "Standard rate"), ("reduced", "Reduced rate"), ("zero", "Zero rate")]


class TaxClass(models.Model):
    """A kind of goods taxed alike ("reduced": books, food). Products point at it by its code."""

    code = models.SlugField(max_length=32, unique=True, help_text="How products and the CSV import name it.")
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["pk"]
        verbose_name_plural = "tax classes"

    def __str__(self) -> str:
        return self.name


class TaxRate(models.Model):
    """The rate of one tax class in one country (or one region of it: an empty region is the whole country)."""

    tax_class = models.ForeignKey(TaxClass, related_name="rates", on_delete=models.PROTECT)
    country = CountryField()
    region = models.CharField(max_length=100, blank=True, help_text="Empty: the whole country.")
    rate = models.DecimalField(
        "rate (%)",
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="In percent, from 0 to 100: 19 for 19 %.",
    )

    class Meta:
        ordering = ["country", "region", "tax_class"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rate__gte=0) & Q(rate__lte=100),
                name="pricing_taxrate_rate_0_to_100",
                violation_error_message="A tax rate is between 0 and 100 %.",
            ),
            models.UniqueConstraint(
                fields=["tax_class", "country", "region"],
                name="pricing_taxrate_one_per_place",
                violation_error_message="This tax class already has a rate there.",
            ),
        ]

    def __str__(self) -> str:
        place = f"{self.country}-{self.region}" if self.region else str(self.country)
        return f"{self.tax_class} {place}: {self.rate} %"
