"""Writes for prices and tax."""

from pricing.models import DEFAULT_TAX_CLASSES, TaxClass


def tax_classes_ensure() -> None:
    """The standard, reduced and zero classes exist (a database emptied by hand, or a test's flush, lost them)."""
    for code, name in DEFAULT_TAX_CLASSES:
        TaxClass.objects.get_or_create(code=code, defaults={"name": name})
