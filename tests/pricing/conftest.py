"""Real tax rates in the database, as staff would enter them in the admin."""

from decimal import Decimal

import pytest

from pricing.models import TaxClass, TaxRate

EU_RATES = {"DE": ("19", "7"), "FR": ("20", "5.5"), "AT": ("20", "10"), "NL": ("21", "9")}


@pytest.fixture
def rates(db, settings):
    """Standard and reduced rates for a few EU countries; zero is 0 everywhere; the seller is in Germany."""
    settings.SHOP_SELLER_COUNTRY = "DE"
    classes = {c.code: c for c in TaxClass.objects.all()}
    for country, (standard, reduced) in EU_RATES.items():
        TaxRate.objects.create(tax_class=classes["standard"], country=country, rate=Decimal(standard))
        TaxRate.objects.create(tax_class=classes["reduced"], country=country, rate=Decimal(reduced))
        TaxRate.objects.create(tax_class=classes["zero"], country=country, rate=Decimal(0))
    return classes
