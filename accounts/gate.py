"""The storefront password gate: which requests it covers, and its signed, sliding gate token."""

import hashlib
import hmac

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse

from shop.i18n import strip_language

COOKIE_NAME = "shop_gate"
_SALT = "accounts.gate"


def gate_enabled() -> bool:
    return bool(settings.SHOP_PASSWORD)


def gate_exempt(path: str) -> bool:
    """Probes, files, webhooks, the admin (it has its own login) and the password form itself stay open."""
    prefixes = ["/" + settings.STATIC_URL.lstrip("/"), "/" + settings.MEDIA_URL.lstrip("/")]
    prefixes += settings.SHOP_PASSWORD_EXEMPT_PATHS
    path = strip_language(path)[1]  # /de/password/ is the password form too
    return path in ("/healthz", "/readyz", "/favicon.ico") or any(path.startswith(p) for p in prefixes)


def gate_password_matches(candidate: str) -> bool:
    """Constant-time comparison (over digests, so the lengths do not leak either)."""
    expected = hashlib.sha256(settings.SHOP_PASSWORD.encode()).digest()
    given = hashlib.sha256(candidate.encode()).digest()
    return hmac.compare_digest(expected, given)


def _password_tag() -> str:
    # Changing SHOP_PASSWORD invalidates every gate token issued under the old one.
    return hmac.new(settings.SECRET_KEY.encode(), settings.SHOP_PASSWORD.encode(), hashlib.sha256).hexdigest()[:16]


def gate_token_valid(request: HttpRequest) -> bool:
    token = request.COOKIES.get(COOKIE_NAME)
    if not token:
        return False
    try:
        value = signing.loads(token, salt=_SALT, max_age=settings.SHOP_PASSWORD_TTL)
    except signing.BadSignature:
        return False
    return value == _password_tag()


def gate_token_issue(response: HttpResponse) -> None:
    """Set (or slide) the gate token: valid for SHOP_PASSWORD_TTL seconds from now."""
    response.set_cookie(
        COOKIE_NAME,
        signing.dumps(_password_tag(), salt=_SALT),
        max_age=settings.SHOP_PASSWORD_TTL,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
