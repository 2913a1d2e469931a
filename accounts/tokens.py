"""Signed, expiring values in links (Django's signing: salted HMAC with SECRET_KEY and a timestamp)."""

from typing import Any

from django.core import signing


def signed_read(token: str, *, salt: str, max_age: int, invalid: Exception, expired: Exception) -> Any:
    """The value a link carries; raises `expired` when it is older than max_age, `invalid` when altered."""
    try:
        return signing.loads(token, salt=salt, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise expired from exc
    except signing.BadSignature as exc:
        raise invalid from exc
