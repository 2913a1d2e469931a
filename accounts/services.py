"""Writes for accounts: registration, profile, sessions, addresses, account deletion."""

from importlib import import_module
from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib.auth import update_session_auth_hash
from django.db import IntegrityError, transaction
from django.http import HttpRequest

from accounts.models import Address, LaunchSubscriber, Session, User
from analytics.services import events_forget_user
from notifications.services import mail_enqueue


class AccountError(Exception):
    """A domain error whose message can be shown to the user."""


class EmailTaken(AccountError):
    pass


EMAIL_TAKEN = "An account with this e-mail address already exists."


def _session_store():
    return import_module(settings.SESSION_ENGINE).SessionStore


def user_register(*, email: str, password: str, name: str = "") -> User:
    """Create a shopper's account and queue the welcome mail in the same transaction.

    The e-mail is unique in any case (the database constraint decides).
    """
    email = User.objects.normalize_email(email)
    if User.objects.filter(email__iexact=email).exists():
        raise EmailTaken(EMAIL_TAKEN)
    try:
        with transaction.atomic():
            user = User.objects.create_user(email=email, password=password, name=name)
            mail_enqueue(to=user.email, kind="welcome", context={"name": user.name}, vouched_by=user)
    except IntegrityError as exc:  # a concurrent registration won the race
        raise EmailTaken(EMAIL_TAKEN) from exc
    return user


def user_update_profile(*, user: User, name: str, email: str) -> User:
    """Change name and e-mail (the caller has checked the password when the e-mail changes)."""
    email = User.objects.normalize_email(email)
    if User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
        raise EmailTaken(EMAIL_TAKEN)
    user.name = name
    user.email = email
    user.save(update_fields=["name", "email"])
    return user


def user_change_password(*, request: HttpRequest, user: User, password: str) -> None:
    """Set a new password, rotate this session's key and log out every other session of the user."""
    user.set_password(password)
    user.save(update_fields=["password"])
    update_session_auth_hash(request, user)
    session_revoke_others(user=user, keep_key=request.session.session_key)


def user_delete(*, user: User) -> None:
    """Remove a user's personal data: sessions (rows and cached copies), addresses, the user row."""
    with transaction.atomic():
        session_revoke_all(user=user)
        Address.objects.filter(user=user).delete()
        events_forget_user(user_id=user.pk)
        user.delete()


# --- Sessions ---------------------------------------------------------------------------------------


def session_revoke(*, user: User, public_id: UUID) -> bool:
    """Log out one of the user's sessions (through the engine, so a cached copy goes too)."""
    key = Session.objects.filter(user=user, public_id=public_id).values_list("session_key", flat=True).first()
    if key is None:
        return False
    _session_store()().delete(key)
    return True


def session_revoke_others(*, user: User, keep_key: str | None) -> int:
    """Log out every session of the user but the one with `keep_key`."""
    keys = list(Session.objects.filter(user=user).exclude(session_key=keep_key).values_list("session_key", flat=True))
    return sessions_delete(keys)


def session_revoke_all(*, user: User) -> int:
    keys = list(Session.objects.filter(user=user).values_list("session_key", flat=True))
    return sessions_delete(keys)


def sessions_delete(keys: list[str]) -> int:
    """Delete sessions by key, rows and cached copies alike."""
    store = _session_store()()
    for key in keys:
        store.delete(key)
    return len(keys)


# --- Addresses --------------------------------------------------------------------------------------

ADDRESS_FIELDS = ("name", "line1", "line2", "city", "postcode", "country", "phone")


def address_create(*, user: User, data: dict[str, Any]) -> Address:
    """Add an address; the first one (or one asked to be) becomes the default."""
    with transaction.atomic():
        make_default = data.get("is_default") or not Address.objects.filter(user=user).exists()
        address = Address.objects.create(user=user, **{f: data[f] for f in ADDRESS_FIELDS if f in data})
        if make_default:
            address_set_default(address=address)
    return address


def address_update(*, address: Address, data: dict[str, Any]) -> Address:
    for field in ADDRESS_FIELDS:
        if field in data:
            setattr(address, field, data[field])
    address.save(update_fields=list(ADDRESS_FIELDS))
    return address


def address_delete(*, address: Address) -> None:
    """Delete an address; if it was the default, the oldest remaining one takes its place."""
    with transaction.atomic():
        user, was_default = address.user_id, address.is_default
        address.delete()
        if was_default:
            successor = Address.objects.filter(user_id=user).order_by("created_at", "id").first()
            if successor is not None:
                address_set_default(address=successor)


def address_set_default(*, address: Address) -> Address:
    """Make this the user's default address (the constraint allows only one)."""
    with transaction.atomic():
        Address.objects.filter(user_id=address.user_id, is_default=True).exclude(pk=address.pk).update(is_default=False)
        Address.objects.filter(pk=address.pk).update(is_default=True)
        address.is_default = True
    return address


# --- Storefront gate --------------------------------------------------------------------------------


def launch_subscriber_add(*, email: str) -> LaunchSubscriber:
    """Keep an address to tell when the shop opens (once per address, in any case)."""
    email = User.objects.normalize_email(email)
    existing = LaunchSubscriber.objects.filter(email__iexact=email).first()
    return existing or LaunchSubscriber.objects.create(email=email)
