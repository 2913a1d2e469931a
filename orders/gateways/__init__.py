"""Payment gateways by name. Adding a provider: a module with a PaymentGateway subclass, one line here.

Dotted paths, imported when used (like SESSION_ENGINE): the sandbox lives in its own app, which a
production deployment leaves out of INSTALLED_APPS, so orders must not import it at start-up.
"""

from django.apps import apps
from django.conf import settings
from django.utils.module_loading import import_string

from orders.gateways.base import PaymentGateway

GATEWAYS: dict[str, str] = {
    "sandbox": "sandbox.gateway.SandboxGateway",
    "stripe": "orders.gateways.stripe.StripeGateway",
}


class UnknownGateway(LookupError):
    pass


def gateway_get(name: str | None = None) -> PaymentGateway:
    """The gateway called `name`, or the configured one (PAYMENT_GATEWAY)."""
    name = name or settings.PAYMENT_GATEWAY
    path = GATEWAYS.get(name)
    if path is None or (name == "sandbox" and not apps.is_installed("sandbox")):
        raise UnknownGateway(f"No payment gateway called {name!r}; known: {', '.join(GATEWAYS)}.")
    gateway = path if isinstance(path, type) else import_string(path)
    return gateway()
