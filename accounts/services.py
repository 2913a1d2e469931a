"""Writes for accounts: registration, profile, sessions, addresses, account deletion."""

from datetime import timedelta
from importlib import import_module
from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib.auth import update_session_auth_hash
from django.core import signing
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from accounts import gate
from accounts.models import Address, EmailConfirmation, LaunchSubscriber, Session, User
from accounts.throttle import throttle_blocked, throttle_fail
from accounts.tokens import signed_read
from analytics.services import events_forget_user
from api.services import session_tokens_revoke
from notifications.services import mail_enqueue


class AccountError(Exception):
    """A domain error whose message can be shown to the user."""


class EmailTaken(AccountError):
    pass


class Throttled(AccountError):
    """Too many attempts from this client (or for this account) in the window."""


class ConfirmationInvalid(AccountError):
    """A confirmation link that was altered, superseded by a newer one or already used."""


class ConfirmationExpired(ConfirmationInvalid):
    pass


EMAIL_TAKEN = _("An account with this e-mail address already exists.")


def _session_store():
    return import_module(settings.SESSION_ENGINE).SessionStore


def _request_language() -> str:
    """The active language (the request's), as one of LANGUAGES; the default outside a request."""
    try:
        return translation.get_supported_language_variant(translation.get_language() or settings.LANGUAGE_CODE)
    except LookupError:
        return settings.LANGUAGE_CODE


def user_register(*, email: str, password: str, name: str = "", confirm: bool = True) -> User:
    """Create a shopper's account; queue the welcome mail (and the confirmation link) in the same transaction.

    The e-mail is unique in any case (the database constraint decides).
    """
    email = User.objects.normalize_email(email)
    if User.objects.filter(email__iexact=email).exists():
        raise EmailTaken(EMAIL_TAKEN)
    try:
        with transaction.atomic():
            user = User.objects.create_user(email=email, password=password, name=name, language=_request_language())
            mail_enqueue(to=user.email, kind="welcome", context={"name": user.name}, vouched_by=user)
            if confirm:
                email_confirmation_send(user=user, email=user.email)
    except IntegrityError as exc:  # a concurrent registration won the race
        raise EmailTaken(EMAIL_TAKEN) from exc
    return user


def user_update_profile(*, user: User, name: str, email: str) -> str | None:
    """Save the name; a new e-mail address only gets a confirmation link (the caller checked the password).

    The account keeps its address until the new one is confirmed. Returns the address waiting for
    confirmation, or None when the e-mail did not change.
    """
    email = User.objects.normalize_email(email)
    if User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
        raise EmailTaken(EMAIL_TAKEN)
    with transaction.atomic():
        user.name = name
        user.save(update_fields=["name"])
        if email.lower() == user.email.lower():
            return None
        email_confirmation_send(user=user, email=email)
    return email


# --- E-mail verification ------------------------------------------------------------------------------

CONFIRM_SALT = "accounts.email-confirmation"


def email_confirmation_send(*, user: User, email: str) -> EmailConfirmation:
    """Mail a link that confirms `email` for `user`: signed, expiring, single use; newer links replace it."""
    confirmation = EmailConfirmation.objects.create(user=user, email=email)
    token = signing.dumps(confirmation.pk, salt=CONFIRM_SALT)
    context = {
        "name": user.name,
        "email": email,
        "change": email.lower() != user.email.lower(),
        "confirm_path": reverse("accounts:email-confirm", args=[token]),
        "days": settings.ACCOUNT_EMAIL_CONFIRM_MAX_AGE // 86400,
    }
    mail_enqueue(to=email, kind="email_confirm", context=context, vouched_by=confirmation)
    return confirmation


def email_confirmation_check(*, token: str) -> EmailConfirmation:
    """The confirmation a link stands for, if it can still be used; ConfirmationInvalid/Expired otherwise."""
    pk = signed_read(
        token,
        salt=CONFIRM_SALT,
        max_age=settings.ACCOUNT_EMAIL_CONFIRM_MAX_AGE,
        invalid=ConfirmationInvalid(_("This confirmation link is not valid. Check that you copied all of it.")),
        expired=ConfirmationExpired(_("This confirmation link has expired. Ask for a new one.")),
    )
    confirmation = EmailConfirmation.objects.select_related("user").filter(pk=pk).first()
    if confirmation is None or confirmation.confirmed_at is not None:
        raise ConfirmationInvalid(_("This confirmation link was already used."))
    newest = EmailConfirmation.objects.filter(user_id=confirmation.user_id).values_list("pk", flat=True).first()
    if newest != confirmation.pk:
        raise ConfirmationInvalid(_("A newer confirmation link was sent since this one: use that one."))
    return confirmation


def email_confirm(*, token: str) -> User:
    """Use a confirmation link: the address becomes the account's, verified; its guest orders join it."""
    from orders.access import guest_orders_attach

    with transaction.atomic():
        confirmation = email_confirmation_check(token=token)
        # The row lock makes the link single use even when it is clicked twice at once.
        EmailConfirmation.objects.select_for_update().filter(pk=confirmation.pk, confirmed_at=None).get()
        user = confirmation.user
        if User.objects.filter(email__iexact=confirmation.email).exclude(pk=user.pk).exists():
            raise EmailTaken(EMAIL_TAKEN)
        now = timezone.now()
        EmailConfirmation.objects.filter(pk=confirmation.pk).update(confirmed_at=now)
        user.email, user.email_verified_at = confirmation.email, now
        user.save(update_fields=["email", "email_verified_at"])
        guest_orders_attach(user=user, email=user.email)
    return user


RESEND_THROTTLE_SCOPE = "email-confirm-resend"


def email_confirmation_resend(*, user: User) -> str:
    """A new link for the address waiting (or the account's own); returns it. Throttled per account."""
    pending = email_confirmation_pending(user=user)
    if pending is None and user.email_verified:
        raise ConfirmationInvalid(_("Your e-mail address is already confirmed."))
    subject = str(user.pk)
    if throttle_blocked(RESEND_THROTTLE_SCOPE, subject, settings.LOGIN_FAILURE_LIMIT):
        raise Throttled(_("We sent several links already. Wait a while, and look in the spam folder."))
    throttle_fail(RESEND_THROTTLE_SCOPE, subject, settings.LOGIN_FAILURE_WINDOW)
    email = pending.email if pending else user.email
    email_confirmation_send(user=user, email=email)
    return email


def email_confirmation_pending(*, user: User) -> EmailConfirmation | None:
    """The newest link still waiting, if any (the profile names the address it is for)."""
    return EmailConfirmation.objects.filter(user=user, confirmed_at=None).first()


# --- Guests becoming members --------------------------------------------------------------------------


def guest_order_claim(*, order, password: str, name: str = "", mailbox_proven: bool = False) -> User:
    """ "Save my details": an account with the order's address owns the order and keeps its address.

    mailbox_proven: the guest came through the mailed link, so the address is verified at once and every
    guest order of it joins; otherwise only this order, and a confirmation link is mailed.
    """
    from orders.access import guest_orders_attach

    with transaction.atomic():
        user = user_register(
            email=order.email, password=password, name=name or order.ship_name, confirm=not mailbox_proven
        )
        if mailbox_proven:
            user.email_verified_at = timezone.now()
            user.save(update_fields=["email_verified_at"])
            guest_orders_attach(user=user, email=user.email)
        else:
            type(order).objects.filter(pk=order.pk, user__isnull=True).update(user=user)
        address_create(user=user, data={f: getattr(order, f"ship_{f}") for f in ADDRESS_FIELDS})
    return user


def session_start(*, request: HttpRequest, remember: bool) -> None:
    """The expiry rule of a fresh login: "remember me" lasts SESSION_MAX_AGE; otherwise the browser's session.

    (A normal session also ends after SESSION_IDLE_TIMEOUT without activity: the session engine slides it.)
    """
    if remember:
        request.session.set_expiry(timezone.now() + timedelta(seconds=settings.SESSION_MAX_AGE))
    else:
        request.session.set_expiry(None)


def user_change_password(*, request: HttpRequest, user: User, password: str) -> None:
    """Set a new password, rotate this session's key and log out every other session of the user."""
    user.set_password(password)
    user.save(update_fields=["password"])
    update_session_auth_hash(request, user)
    session_revoke_others(user=user, keep_key=request.session.session_key)


def login_failures_forget(*, user: User) -> int:
    """Forget the failed logins typed for this account (django-axes' rows), from every address.

    Called once the owner has proven the mailbox by resetting the password: behind an address shared with
    an attacker (NAT, café wifi) that is their way through. Failures for other accounts from the same
    address still count, so a sprayer stays stopped.
    """
    from axes.utils import reset

    return reset(username=user.email.lower())


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
    session_tokens_revoke(user=user)  # apps logged in with the password (api) too
    return sessions_delete(keys)


def session_revoke_all(*, user: User) -> int:
    keys = list(Session.objects.filter(user=user).values_list("session_key", flat=True))
    session_tokens_revoke(user=user)
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


GATE_THROTTLE_SCOPE = "storefront-password"
NOTIFY_THROTTLE_SCOPE = "storefront-notify"


def gate_password_try(*, ip: str, password: str) -> bool:
    """Whether the storefront password is right; wrong ones count per client IP (Throttled over the limit)."""
    if throttle_blocked(GATE_THROTTLE_SCOPE, ip, settings.LOGIN_FAILURE_LIMIT):
        raise Throttled(_("Too many wrong passwords. Wait a few minutes and try again."))
    if gate.gate_password_matches(password):
        return True
    throttle_fail(GATE_THROTTLE_SCOPE, ip, settings.LOGIN_FAILURE_WINDOW)
    return False


def launch_notify_throttle(*, ip: str) -> None:
    """Count one "tell me when you open" from this client; Throttled past four times the login limit."""
    if throttle_blocked(NOTIFY_THROTTLE_SCOPE, ip, settings.LOGIN_FAILURE_LIMIT * 4):
        raise Throttled(_("Too many requests. Wait a few minutes and try again."))


def launch_subscriber_add(*, email: str, ip: str) -> LaunchSubscriber:
    """Keep an address to tell when the shop opens (once per address, in any case); counts per client IP."""
    throttle_fail(NOTIFY_THROTTLE_SCOPE, ip, settings.LOGIN_FAILURE_WINDOW)
    email = User.objects.normalize_email(email)
    existing = LaunchSubscriber.objects.filter(email__iexact=email).first()
    return existing or LaunchSubscriber.objects.create(email=email)
