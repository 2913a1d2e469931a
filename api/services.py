"""Writes for the API: tokens (made, checked, revoked), rate limits, stored idempotent responses."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import User
from api.models import STAFF_SCOPES, ApiToken, IdempotentRequest, Scope

# `shp_p_<lookup>_<secret>` (personal) or `shp_s_<lookup>_<secret>` (session): the prefix makes a leaked
# token easy to recognise (secret scanners), the lookup finds the row, only the secret's hash is stored.
TOKEN_PREFIX = {ApiToken.Kind.PERSONAL: "shp_p_", ApiToken.Kind.SESSION: "shp_s_"}


class TokenInvalid(Exception):
    """No such token, or revoked, or expired."""


class ScopeNotAllowed(ValueError):
    pass


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str  # the whole bearer value: shown once, never stored


def _hash(secret: str) -> str:
    # The secret is 32 random bytes: a fast hash is as safe as a slow one and costs no CPU per request.
    return hashlib.sha256(secret.encode()).hexdigest()


def scopes_for(user: User) -> list[str]:
    """Every scope the user may hold (staff scopes only for staff)."""
    return [s.value for s in Scope if user.is_staff or s not in STAFF_SCOPES]


def token_create(
    *, user: User, kind: str = ApiToken.Kind.PERSONAL, name: str = "", scopes: list[str] | None = None, days: int = 0
) -> NewToken:
    """Make a token for `user` with `scopes` (all the user may hold when None); returns it with its secret once."""
    allowed = scopes_for(user)
    scopes = allowed if scopes is None else sorted(set(scopes))
    refused = [s for s in scopes if s not in allowed]
    if refused:
        raise ScopeNotAllowed(f"Scopes not allowed for this account: {', '.join(refused)}.")
    if kind == ApiToken.Kind.SESSION:
        lifetime = timedelta(seconds=settings.API_SESSION_TOKEN_TTL)
    else:
        lifetime = timedelta(days=min(days or settings.API_TOKEN_DEFAULT_DAYS, settings.API_TOKEN_MAX_DAYS))
    lookup, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
    now = timezone.now()
    token = ApiToken.objects.create(
        user=user,
        kind=kind,
        name=name[:100],
        lookup=lookup,
        secret_hash=_hash(secret),
        scopes=scopes,
        created_at=now,
        expires_at=now + lifetime,
    )
    return NewToken(token, f"{TOKEN_PREFIX[kind]}{lookup}_{secret}")


def token_authenticate(value: str) -> ApiToken:
    """The live token behind a bearer value (one query; at most one write per touch interval).

    A session token's expiry slides with use. Raises TokenInvalid.
    """
    kind = next((k for k, prefix in TOKEN_PREFIX.items() if value.startswith(prefix)), None)
    if kind is None:
        raise TokenInvalid("Not a token of this shop.")
    prefix = TOKEN_PREFIX[kind]
    lookup, _, secret = value[len(prefix) :].partition("_")
    token = ApiToken.objects.select_related("user").filter(lookup=lookup, kind=kind).first()
    if token is None or not hmac.compare_digest(token.secret_hash, _hash(secret)):
        raise TokenInvalid("Unknown token.")
    now = timezone.now()
    if token.revoked_at is not None or token.expires_at <= now or not token.user.is_active:
        raise TokenInvalid("The token has expired or was revoked.")
    touch = timedelta(seconds=settings.API_TOKEN_TOUCH_INTERVAL)
    if token.last_used_at is None or now - token.last_used_at >= touch:
        changes = {"last_used_at": now}
        if kind == ApiToken.Kind.SESSION:
            changes["expires_at"] = now + timedelta(seconds=settings.API_SESSION_TOKEN_TTL)
        ApiToken.objects.filter(pk=token.pk).update(**changes)
        for field, stamp in changes.items():
            setattr(token, field, stamp)
    return token


def session_token_login(*, request: HttpRequest, email: str, password: str) -> NewToken | None:
    """A password login from an app: a short-lived session token, or None (counted by login throttling)."""
    user = authenticate(request, username=email, password=password)
    if user is None:
        return None
    return token_create(user=user, kind=ApiToken.Kind.SESSION, name="app login")


def token_revoke(*, user: User, token_id: int) -> bool:
    """Revoke one of the user's tokens; False when it is not theirs or already revoked."""
    return bool(ApiToken.objects.filter(pk=token_id, user=user, revoked_at=None).update(revoked_at=timezone.now()))


def session_tokens_revoke(*, user: User) -> int:
    """Log the user's apps out (their session tokens); personal tokens stay until revoked themselves."""
    return ApiToken.objects.filter(user=user, kind=ApiToken.Kind.SESSION, revoked_at=None).update(
        revoked_at=timezone.now()
    )


# --- Rate limits --------------------------------------------------------------------------------------


def rate_limit_hit(subject: str, limit: int, window: int = 60) -> int:
    """Count one request of `subject` in the current fixed window; seconds to wait when over `limit`, else 0.

    The counter lives in the cache (shared by every instance when CACHE_URL points at Redis).
    """
    if limit <= 0:
        return 0
    now = int(timezone.now().timestamp())
    start = now - now % window
    key = f"api:rate:{hashlib.sha256(subject.encode()).hexdigest()[:32]}:{start}"
    if cache.add(key, 1, window + 1):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, window + 1)
            count = 1
    return max(start + window - now, 1) if count > limit else 0


# --- Idempotency --------------------------------------------------------------------------------------


class IdempotencyConflict(Exception):
    """The key is in use by a request still running, or was used with a different request."""


def idempotency_fingerprint(request: HttpRequest) -> str:
    return hashlib.sha256(b"\0".join([request.method.encode(), request.path.encode(), request.body])).hexdigest()


def idempotency_claim(*, user: User | None, client: str, key: str, fingerprint: str) -> IdempotentRequest:
    """The stored request for this key: a finished one (replay it) or a new claim (status None) for the caller.

    Raises IdempotencyConflict when another request holds the key or it came with a different request.
    """
    owner = {"user": user} if user is not None else {"user": None, "client": client}
    cutoff = timezone.now() - timedelta(seconds=settings.API_IDEMPOTENCY_TTL)
    IdempotentRequest.objects.filter(key=key, created_at__lt=cutoff, **owner).delete()
    try:
        with transaction.atomic():
            return IdempotentRequest.objects.create(key=key, fingerprint=fingerprint, **owner)
    except IntegrityError:
        stored = IdempotentRequest.objects.filter(key=key, **owner).first()
    if stored is None or stored.status is None:
        raise IdempotencyConflict("A request with this Idempotency-Key is still being processed; retry shortly.")
    if stored.fingerprint != fingerprint:
        raise IdempotencyConflict("This Idempotency-Key was used with a different request.")
    return stored


def idempotency_store(claim: IdempotentRequest, *, status: int, body: bytes, content_type: str) -> None:
    IdempotentRequest.objects.filter(pk=claim.pk).update(status=status, body=body, content_type=content_type)


def idempotency_release(claim: IdempotentRequest) -> None:
    """The request failed: forget the key, so a corrected retry runs."""
    IdempotentRequest.objects.filter(pk=claim.pk, status=None).delete()


# --- Housekeeping -------------------------------------------------------------------------------------

KEEP_ENDED = timedelta(days=30)


def api_prune() -> dict[str, int]:
    """Delete what no request can use any more: replay records past API_IDEMPOTENCY_TTL, tokens expired or
    revoked over 30 days ago, webhook deliveries delivered or dead over 30 days ago. Returns counts."""
    from django.db.models import Q

    from api.models import WebhookDelivery

    now = timezone.now()
    idempotency = IdempotentRequest.objects.filter(
        created_at__lt=now - timedelta(seconds=settings.API_IDEMPOTENCY_TTL)
    ).delete()[0]
    tokens = ApiToken.objects.filter(Q(expires_at__lt=now - KEEP_ENDED) | Q(revoked_at__lt=now - KEEP_ENDED)).delete()[
        0
    ]
    deliveries = WebhookDelivery.objects.filter(
        status__in=[WebhookDelivery.Status.DELIVERED, WebhookDelivery.Status.DEAD], created_at__lt=now - KEEP_ENDED
    ).delete()[0]
    return {"idempotency records": idempotency, "tokens": tokens, "webhook deliveries": deliveries}
