"""System checks for the analytics settings."""

import ipaddress

from django.conf import settings
from django.core.checks import Error, register


@register()
def check_allowed_ips(app_configs, **kwargs):
    errors = []
    for entry in settings.ANALYTICS_ALLOWED_IPS:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            errors.append(
                Error(
                    f"ANALYTICS_ALLOWED_IPS: {entry!r} is not an IP address or network.",
                    hint="Use addresses or CIDR networks separated by commas, e.g. 10.0.0.0/8,192.0.2.7.",
                    id="analytics.E001",
                )
            )
    return errors
