"""The e-mail outbox: every message is a row first, written in the caller's transaction; a task delivers it.

Other apps call `mail_enqueue`. Delivery, retries, rate limits and the sweep live here too, so the worker
task, the admin and the management commands all share one implementation.
"""

import logging
import re
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.message import make_msgid
from django.db import InterfaceError, OperationalError, connection, models, transaction
from django.db.models import Count, F, Min, Q
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.utils import timezone, translation

from notifications.models import Message

logger = logging.getLogger(__name__)

# Models whose stored rows vouch for an address, and the field that holds it. The orders app adds
# `"orders.Order": "<its e-mail field>"` here when it exists; nothing else needs to change.
VOUCHERS: dict[str, str] = {
    settings.AUTH_USER_MODEL: "email",
    "orders.Order": "email",
    "accounts.EmailConfirmation": "email",  # the new address a user asked to confirm
}
# `vouched_by=OPERATOR`: a person with shell access asked for it (send_test_email).
OPERATOR = "operator"

READY = (Message.Status.QUEUED, Message.Status.FAILED)
# Any constant will do: it names the one advisory lock that serialises claims on PostgreSQL.
CLAIM_LOCK_KEY = 0x5E0D_0B0C


class UnknownRecipient(ValueError):
    """The address belongs to no registered user and to nothing passed as `vouched_by`."""


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class SweepResult:
    stuck: int
    lost: int


def absolute_url(path: str) -> str:
    """SHOP_BASE_URL joined with a site path (as `reverse()` returns); absolute URLs pass through."""
    if urlsplit(path).scheme:
        return path
    return settings.SHOP_BASE_URL + "/" + path.lstrip("/")


def message_render(kind: str, context: dict[str, Any], *, language: str | None = None) -> RenderedMail:
    """Subject, text and HTML of one kind, all from the same context (templates/emails/<kind>.*), in
    `language` (a LANGUAGES code; None: the active language)."""
    with translation.override(language or translation.get_language()):
        return _render(kind, context)


def _render(kind: str, context: dict[str, Any]) -> RenderedMail:
    full = {
        "SHOP_NAME": settings.SHOP_NAME,
        "SHOP_CURRENCY": settings.SHOP_CURRENCY,
        "SHOP_BASE_URL": settings.SHOP_BASE_URL,
        "home_url": absolute_url("/"),
        **context,
    }
    subject = render_to_string(f"emails/{kind}_subject.txt", full)
    return RenderedMail(
        # A subject is one line: a newline in it would be a header injection.
        subject=re.sub(r"\s+", " ", subject).strip()[:255],
        text=render_to_string(f"emails/{kind}.txt", full),
        html=render_to_string(f"emails/{kind}.html", full),
    )


def _vouch(to: str, vouched_by: models.Model | str | None) -> str:
    """Check that the address is known and say what made it known (stored on the row)."""
    if vouched_by == OPERATOR:
        return OPERATOR
    if vouched_by is None:
        if get_user_model()._default_manager.filter(email__iexact=to).exists():
            return f"{settings.AUTH_USER_MODEL.lower()} {to}"
        raise UnknownRecipient(f"{to} is not the address of a registered user.")
    label = vouched_by._meta.label
    field = VOUCHERS.get(label)
    if field is None:
        raise UnknownRecipient(f"A {label} cannot vouch for an e-mail address.")
    # The stored row must hold the address: an unsaved or edited instance vouches for nothing.
    if not type(vouched_by)._default_manager.filter(pk=vouched_by.pk, **{f"{field}__iexact": to}).exists():
        raise UnknownRecipient(f"{to} is not the address of {label.lower()} {vouched_by.pk}.")
    return f"{label.lower()} {vouched_by.pk}"


def mail_enqueue(
    *,
    to: str,
    kind: str,
    context: dict[str, Any],
    vouched_by: models.Model | str | None = None,
    bulk: bool = False,
    language: str | None = None,
) -> Message:
    """Write an outbox row in the caller's transaction; its delivery task is enqueued on commit.

    to: the recipient address. kind: a `Message.Kind` value (templates/emails/<kind>.*). context: what
    the templates need (see docs/operations.md), rendered now, so it may hold any objects.
    vouched_by: what makes the address known: None (a registered user must have it), a saved model
    instance listed in VOUCHERS whose stored address is `to` (a User, later an Order), or OPERATOR.
    bulk: over a rate limit bulk mail is dropped, other mail waits. language: what the mail is written in
    (a LANGUAGES code); None: the active language — pass it where the mail is not the request's answer
    (an order's mails pass the order's language). Raises UnknownRecipient.
    """
    to = to.strip()
    if kind not in Message.Kind.values:
        raise ValueError(f"Unknown mail kind {kind!r}; kinds are {', '.join(Message.Kind.values)}.")
    voucher = _vouch(to, vouched_by)
    if (
        bulk
        and not get_user_model()._default_manager.filter(email__iexact=to, email_verified_at__isnull=False).exists()
    ):
        raise UnknownRecipient(f"{to} is not a confirmed address: no bulk mail goes to it.")
    rendered = message_render(kind, context, language=language)
    message = Message.objects.create(
        to=to,
        kind=kind,
        bulk=bulk,
        subject=rendered.subject,
        body_text=rendered.text,
        body_html=rendered.html,
        message_id=make_msgid(domain=urlsplit(settings.SHOP_BASE_URL).hostname or "localhost"),
        vouched_by=voucher,
    )
    _enqueue_delivery_on_commit(message.pk)
    return message


def _enqueue_delivery(message_id: int, run_after: datetime | None = None) -> None:
    # The task module imports this one: importing it here, not at the top, keeps the two apart.
    from notifications import tasks

    task = tasks.deliver_message if run_after is None else tasks.deliver_message.using(run_after=run_after)
    task.enqueue(message_id)


def _enqueue_delivery_on_commit(message_id: int, run_after: datetime | None = None) -> None:
    # Robust: if enqueueing fails after the commit, the caller's work stands (the error is logged)
    # and the sweep gives the message a task later.
    transaction.on_commit(lambda: _enqueue_delivery(message_id, run_after), robust=True)


def _serialize_claims() -> None:
    """Make rate counting and claiming one step across workers.

    PostgreSQL: a transaction-scoped advisory lock. SQLite: our transactions are IMMEDIATE, so the
    write lock is already held from the start of the transaction.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CLAIM_LOCK_KEY])


def _rate_limit(message: Message, now: datetime) -> tuple[datetime, str] | None:
    """When the message may go out and why, if a limit holds it back; None when it may go now."""
    since = now - timedelta(hours=1)
    used = Message.objects.filter(Q(status=Message.Status.SENT, sent_at__gt=since) | Q(status=Message.Status.SENDING))
    limits = (
        (settings.NOTIFY_RATE_PER_RECIPIENT_HOUR, used.filter(to__iexact=message.to), "per recipient"),
        (settings.NOTIFY_RATE_TOTAL_HOUR, used, "in total"),
    )
    for limit, rows, scope in limits:
        if not limit:
            continue
        counted = rows.aggregate(n=Count("pk"), first=Min(Coalesce("sent_at", "claimed_at")))
        if counted["n"] >= limit:
            # The oldest counted message leaves the window first; a later check may wait again.
            until = max(counted["first"] + timedelta(hours=1), now + timedelta(seconds=1))
            return until, f"rate limit: {limit} messages per hour {scope} reached"
    return None


def message_deliver(message_id: int) -> str:
    """Claim the message (queued/failed -> sending, once), send it, record the outcome.

    Returns what happened: sent, failed, dead, deferred, dropped, or skipped (not due, or another
    worker has it). Only the conditional UPDATE decides who sends, so duplicate tasks are harmless.
    """
    now = timezone.now()
    due = Message.objects.filter(pk=message_id, status__in=READY, next_attempt_at__lte=now)
    with transaction.atomic():
        _serialize_claims()
        message = due.first()
        if message is None:
            return "skipped"
        held = _rate_limit(message, now)
        if held is not None:
            until, reason = held
            if message.bulk:
                due.update(status=Message.Status.DROPPED, last_error=reason)
                return "dropped"
            due.update(next_attempt_at=until, last_error=f"waiting until {until.isoformat()}: {reason}")
            _enqueue_delivery_on_commit(message_id, until)
            return "deferred"
        if not due.update(status=Message.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1):
            return "skipped"
    # Committed: from here the row says "sending", and only this worker may mark it.
    attempts = message.attempts + 1
    mine = Message.objects.filter(pk=message_id, status=Message.Status.SENDING, claimed_at=now)
    try:
        _send(message)
    except Exception as exc:  # noqa: BLE001 - every failure is recorded on the row and retried
        return _record_failure(message, mine, attempts, exc)
    # The duplicate window: a crash between the server's "250 OK" and this UPDATE (docs/operations.md).
    _mark_sent(mine, give_up_at=now + timedelta(seconds=settings.NOTIFY_SENDING_TIMEOUT / 2))
    return "sent"


def _mark_sent(mine: models.QuerySet, give_up_at: datetime) -> None:
    """Record the server's 250, waiting out a database outage: only this worker knows the mail went out.

    Given up (the error raised) half-way to NOTIFY_SENDING_TIMEOUT, before the sweep could re-queue the row.
    """
    wait = 0.5
    while True:
        try:
            mine.update(status=Message.Status.SENT, sent_at=timezone.now())
            return
        except (OperationalError, InterfaceError) as exc:
            if timezone.now() + timedelta(seconds=wait) >= give_up_at:
                raise
            logger.warning("database unavailable while recording a sent mail; retrying", extra={"error": str(exc)})
            connection.close()
            time.sleep(wait)
            wait = min(wait * 2, 5.0)


def _send(message: Message) -> None:
    headers = {"Message-ID": message.message_id, "Auto-Submitted": "auto-generated"}
    if message.bulk:
        headers["Precedence"] = "bulk"
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.to],
        headers=headers,
        connection=get_connection(fail_silently=False),
    )
    if message.body_html:
        email.attach_alternative(message.body_html, "text/html")
    email.send()


def _backoff(attempts: int) -> timedelta:
    """Exponential: NOTIFY_BACKOFF_SECONDS after the first failure, doubling, capped."""
    seconds = settings.NOTIFY_BACKOFF_SECONDS * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, settings.NOTIFY_BACKOFF_MAX_SECONDS))


def _record_failure(message: Message, mine: models.QuerySet, attempts: int, exc: Exception) -> str:
    error = f"attempt {attempts}: {type(exc).__name__}: {exc}"[:2000]
    logger.warning("mail delivery failed", extra={"outbox_message": message.pk, "to": message.to, "error": error})
    if attempts >= settings.NOTIFY_MAX_ATTEMPTS:
        mine.update(status=Message.Status.DEAD, last_error=error)
        return "dead"
    retry_at = timezone.now() + _backoff(attempts)
    if mine.update(status=Message.Status.FAILED, last_error=error, next_attempt_at=retry_at):
        _enqueue_delivery(message.pk, retry_at)
    return "failed"


def outbox_sweep(*, limit: int = 1000) -> SweepResult:
    """Recover what the task queue cannot: rows stuck in `sending` and due rows whose task was lost.

    A row is stuck when its worker died after claiming it (NOTIFY_SENDING_TIMEOUT ago); it may or may
    not have been sent. A queued or failed row overdue by the same timeout has lost its task. Both get a
    fresh task; the conditional claim makes an extra task harmless.
    """
    now = timezone.now()
    cutoff = now - timedelta(seconds=settings.NOTIFY_SENDING_TIMEOUT)
    stuck = 0
    for pk, attempts, claimed_at in Message.objects.filter(
        status=Message.Status.SENDING, claimed_at__lt=cutoff
    ).values_list("pk", "attempts", "claimed_at")[:limit]:
        error = f"attempt {attempts}: worker lost while sending (claimed {claimed_at.isoformat()})"
        gave_up = attempts >= settings.NOTIFY_MAX_ATTEMPTS
        status = Message.Status.DEAD if gave_up else Message.Status.FAILED
        row = Message.objects.filter(pk=pk, status=Message.Status.SENDING, claimed_at=claimed_at)
        if row.update(status=status, last_error=error, next_attempt_at=now) and not gave_up:
            stuck += 1
            _enqueue_delivery(pk)
    lost = 0
    for pk, due_at in Message.objects.filter(status__in=READY, next_attempt_at__lt=cutoff).values_list(
        "pk", "next_attempt_at"
    )[:limit]:
        # Moving next_attempt_at to now means the next sweep leaves it alone for another timeout.
        if Message.objects.filter(pk=pk, status__in=READY, next_attempt_at=due_at).update(next_attempt_at=now):
            lost += 1
            _enqueue_delivery(pk)
    return SweepResult(stuck=stuck, lost=lost)


def message_resend(messages: models.QuerySet) -> int:
    """Queue dead or failed messages again with a fresh attempt count; returns how many."""
    now = timezone.now()
    with transaction.atomic():
        retryable = messages.filter(status__in=(Message.Status.DEAD, Message.Status.FAILED))
        pks = list(retryable.values_list("pk", flat=True))
        Message.objects.filter(pk__in=pks).update(
            status=Message.Status.QUEUED, attempts=0, next_attempt_at=now, claimed_at=None
        )
        for pk in pks:
            _enqueue_delivery_on_commit(pk)
    return len(pks)
