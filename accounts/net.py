"""The client's address, and the coarse prefix we keep instead of it."""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The client's IP address: REMOTE_ADDR, or X-Forwarded-For only as far as TRUSTED_PROXY_COUNT allows.

    With N trusted proxies in front, the N-th address from the right of X-Forwarded-For was written by the
    outermost proxy we trust; anything left of it came from the client and can be forged.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < count:
        return remote
    candidate = forwarded[-count]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


def ip_prefix(ip: str) -> str:
    """The network around an address (/24 for IPv4, /48 for IPv6): a rough place, never the address itself."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ""
    if address.version == 6 and address.ipv4_mapped:
        address = address.ipv4_mapped
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))
