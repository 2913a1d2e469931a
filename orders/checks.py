"""System checks for payments and money: a misconfigured gateway or price fails `manage.py check`, never a click."""

from django.apps import apps
from django.conf import settings
from django.core.checks import Error, register

from catalog.money import InvalidMoney, currency_known, money
from orders.gateways import GATEWAYS

STRIPE_SETTINGS = ("STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY", "STRIPE_WEBHOOK_SECRET")


@register()
def payment_gateway_configured(app_configs=None, **kwargs) -> list[Error]:
    name = settings.PAYMENT_GATEWAY
    if name not in GATEWAYS:
        return [Error(f"PAYMENT_GATEWAY={name!r} is not a known gateway ({', '.join(GATEWAYS)}).", id="orders.E001")]
    if name == "sandbox" and not apps.is_installed("sandbox"):
        return [Error("PAYMENT_GATEWAY=sandbox needs PAYMENT_SANDBOX=1 (the sandbox app).", id="orders.E002")]
    if name == "stripe":
        return [
            Error(f"PAYMENT_GATEWAY=stripe needs {setting}: set it in the environment.", id="orders.E003")
            for setting in STRIPE_SETTINGS
            if not getattr(settings, setting, "")
        ]
    return []


@register()
def money_settings_valid(app_configs=None, **kwargs) -> list[Error]:
    """The currency, the shipping prices and the tax rate: each error names its variable."""
    errors = []
    currency = settings.SHOP_CURRENCY
    if not currency_known(currency):
        errors.append(
            Error(f"SHOP_CURRENCY={currency!r} is not an ISO 4217 currency code (EUR, USD, JPY …).", id="orders.E010")
        )
    for code, (_label, price) in settings.ORDER_SHIPPING_RATES.items():
        try:
            money(price)
        except (InvalidMoney, TypeError) as exc:
            errors.append(Error(f"ORDER_SHIPPING_RATES: the price of {code!r}: {exc}.", id="orders.E011"))
    return errors
