"""Writes for prices and tax."""

from decimal import Decimal

from pricing.models import DEFAULT_TAX_CLASSES, TaxClass, TaxRate


def tax_classes_ensure() -> None:
    """The standard, reduced and zero classes exist (a database emptied by hand, or a test's flush, lost them)."""
    for code, name in DEFAULT_TAX_CLASSES:
        TaxClass.objects.get_or_create(code=code, defaults={"name": name})


def tax_rates_ensure(rates: dict[str, dict[str, str]]) -> int:
    """{country: {class code: percent}}: the rates that are missing are added (staff's own are kept). Returns
    how many were added."""
    tax_classes_ensure()
    classes = {c.code: c for c in TaxClass.objects.all()}
    added = 0
    for country, by_class in rates.items():
        for code, rate in by_class.items():
            _, created = TaxRate.objects.get_or_create(
                tax_class=classes[code], country=country, region="", defaults={"rate": Decimal(rate)}
            )
            added += created
    return added
