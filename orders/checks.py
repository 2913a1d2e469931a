"""System checks for payments: a misconfigured gateway fails `manage.py check`, never a Pay click."""

from django.apps import apps
from django.conf import settings
from django.core.checks import Error, register

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
