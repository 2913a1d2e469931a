"""Payment gateways by name. Adding a provider: a module with a PaymentGateway subclass, one line here."""

from django.conf import settings

from orders.gateways.base import PaymentGateway
from orders.gateways.sandbox import SandboxGateway

GATEWAYS: dict[str, type[PaymentGateway]] = {
    SandboxGateway.name: SandboxGateway,
}


class UnknownGateway(LookupError):
    pass


def gateway_get(name: str | None = None) -> PaymentGateway:
    """The gateway called `name`, or the configured one (PAYMENT_GATEWAY)."""
    name = name or settings.PAYMENT_GATEWAY
    try:
        return GATEWAYS[name]()
    except KeyError:
        raise UnknownGateway(f"No payment gateway called {name!r}; known: {', '.join(GATEWAYS)}.") from None
