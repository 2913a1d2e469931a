"""System checks: a bad tax or seller setting fails `manage.py check` with the variable's name, never a checkout."""

from django.conf import settings
from django.core.checks import Error, register

from pricing.tax import tax_rate_setting_error


@register()
def tax_settings_valid(app_configs=None, **kwargs) -> list[Error]:
    errors = []
    problem = tax_rate_setting_error(settings.ORDER_TAX_RATE)
    if problem:
        errors.append(Error(problem, id="pricing.E001"))
    country = settings.SHOP_SELLER_COUNTRY
    if len(country) != 2 or not country.isalpha():
        errors.append(
            Error(f"SHOP_SELLER_COUNTRY={country!r} must be a two-letter country code (DE).", id="pricing.E002")
        )
    return errors
