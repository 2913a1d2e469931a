"""Writes for analytics: recording events, daily roll-ups, pruning, forgetting a user.

Other apps call exactly two functions:
- `event_record(request, name, *, object_id=None, props=None)` from a view, during the shopper's request;
- `event_record_for(*, name, user_id=None, visitor=None, object_id=None, props=None)` without a request
  (payment webhook, task worker).
Neither ever raises nor waits on the database (see analytics/recorder.py).
"""

import logging
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Case, CharField, Count, F, Q, Sum, Value, When
from django.db.models.functions import Cast, Concat, TruncDate
from django.http import HttpRequest
from django.utils import timezone

from analytics.models import DailyMetric, DailyProduct, DailySearch, Event, EventName, RolledUpDay
from analytics.recorder import recorder
from catalog.money import money
from storefront import consent

logger = logging.getLogger(__name__)

VISITOR_COOKIE = "shop_visitor"
_VISITOR_RE = re.compile(r"^[0-9a-f]{32}$")
# Crawlers, link previews, monitors and scripts: not shoppers. An empty User-Agent counts as a script.
_BOT_RE = re.compile(
    r"bot|crawl|spider|slurp|archiver|preview|headless|lighthouse|pingdom|monitor|uptime|facebookexternalhit"
    r"|python-|curl/|wget/|httpie|okhttp|go-http|java/|libwww|scrapy|phantomjs|axios|node-fetch",
    re.IGNORECASE,
)
# The typed properties each event may carry: prop name -> Event column.
PROPS: dict[str, dict[str, str]] = {
    EventName.SEARCH: {"query": "query", "results": "count"},
    EventName.CART_ADD: {"quantity": "count", "variant": "variant_id"},
    EventName.CART_REMOVE: {"quantity": "count", "variant": "variant_id"},
    EventName.CHECKOUT_STARTED: {"amount": "amount"},
    EventName.ORDER_PLACED: {"amount": "amount"},
    EventName.PAYMENT_SUCCEEDED: {"amount": "amount"},
    EventName.PAYMENT_FAILED: {"amount": "amount"},
}
QUERY_MAX = 100


class InvalidEvent(ValueError):
    """An event name or property the shop does not define (a programming error; logged, never raised)."""


# --- Recording ------------------------------------------------------------------------------------


def recording_allowed(request: HttpRequest) -> bool:
    """False for bots, htmx history restores, and visitors asking not to be tracked (DNT / GPC)."""
    if not settings.ANALYTICS_ENABLED:
        return False
    meta = request.META
    if meta.get("HTTP_DNT") == "1" or meta.get("HTTP_SEC_GPC") == "1":
        return False
    if meta.get("HTTP_HX_HISTORY_RESTORE_REQUEST") == "true":
        return False
    if not consent.analytics_permitted(request):  # the visitor's answer to the cookie notice
        return False
    if meta.get("HTTP_X_LIVE_REFRESH") == "1":  # a page re-fetching a part after a live event: not a view
        return False
    user_agent = meta.get("HTTP_USER_AGENT", "")
    return bool(user_agent) and not _BOT_RE.search(user_agent)


def visitor_token(request: HttpRequest) -> str:
    """The visitor's random token from its cookie, or a new one (analytics.middleware sets the cookie)."""
    token = getattr(request, "analytics_visitor", None)
    if token is None:
        token = request.COOKIES.get(VISITOR_COOKIE, "")
        if not _VISITOR_RE.match(token):
            token = secrets.token_hex(16)
            request.analytics_new_visitor = token
        request.analytics_visitor = token
    return token


def event_record(
    request: HttpRequest, name: str, *, object_id: int | None = None, props: dict[str, Any] | None = None
) -> None:
    """Record what the shopper of `request` did, unless they are a bot or asked not to be tracked."""
    try:
        if not recording_allowed(request):
            return
        user = getattr(request, "user", None)
        user_id = user.pk if user is not None and user.is_authenticated else None
        _buffer(name=name, user_id=user_id, visitor=visitor_token(request), object_id=object_id, props=props)
    except Exception:
        recorder.count_failure()
        logger.exception("analytics: recording failed", extra={"event": name})


def event_record_for(
    *,
    name: str,
    user_id: int | None = None,
    visitor: str | None = None,
    object_id: int | None = None,
    props: dict[str, Any] | None = None,
) -> None:
    """Record an event that has no request (payment webhook, worker), for a user and/or visitor token."""
    try:
        if not settings.ANALYTICS_ENABLED:
            return
        if visitor and not _VISITOR_RE.match(visitor):
            raise InvalidEvent(f"not a visitor token: {visitor!r}")
        _buffer(name=name, user_id=user_id, visitor=visitor or "", object_id=object_id, props=props)
    except Exception:
        recorder.count_failure()
        logger.exception("analytics: recording failed", extra={"event": name})


def _buffer(*, name: str, user_id: int | None, visitor: str, object_id: int | None, props: dict | None) -> None:
    if name not in EventName.values:
        raise InvalidEvent(f"unknown event {name!r}")
    columns: dict[str, Any] = {}
    allowed = PROPS.get(name, {})
    for key, value in (props or {}).items():
        if key not in allowed:
            raise InvalidEvent(f"event {name!r} has no property {key!r}")
        columns[allowed[key]] = value
    if "query" in columns:
        columns["query"] = query_normalise(str(columns["query"]))
    if "count" in columns:
        columns["count"] = int(columns["count"])
    if "amount" in columns:
        columns["amount"] = money(columns["amount"])
    event = Event(
        name=name,
        occurred_at=timezone.now(),
        user_id=int(user_id) if user_id is not None else None,
        visitor=visitor,
        object_id=int(object_id) if object_id is not None else None,
        **columns,
    )
    recorder.add(event, actor=visitor or (f"u{user_id}" if user_id is not None else ""))


def query_normalise(query: str) -> str:
    """Searches count together whatever their case and spacing."""
    return " ".join(query.lower().split())[:QUERY_MAX]


def events_flush() -> int:
    """Write this process's buffered events now (tests, commands, process exit)."""
    return recorder.flush()


def events_forget_user(*, user_id: int) -> int:
    """Delete a user's raw events (account deletion); the anonymous daily roll-ups stay."""
    recorder.flush()
    deleted, _ = Event.objects.filter(user_id=user_id).delete()
    return deleted


# --- Daily roll-ups -------------------------------------------------------------------------------


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The first instant of `day` and of the next day, in the shop's time zone."""
    zone = timezone.get_default_timezone()
    start = datetime.combine(day, time.min, tzinfo=zone)
    return start, datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)


def _actor():
    """Who did it: the visitor token, else the user; events with neither count as no actor."""
    return Case(
        When(~Q(visitor=""), then=F("visitor")),
        When(user_id__isnull=False, then=Concat(Value("u"), Cast("user_id", CharField()))),
        default=None,
        output_field=CharField(),
    )


def _is_final(rolled: RolledUpDay | None, day: date) -> bool:
    """Rolled up after the day ended (plus the time buffered events may take to arrive)."""
    grace = timedelta(seconds=settings.ANALYTICS_ROLLUP_GRACE)
    return rolled is not None and rolled.rolled_at >= day_bounds(day)[1] + grace


def rollup_pending(*, start: date, end: date) -> int:
    """Roll up every day in [start, end] (not after today) that is not final yet; returns days rolled up."""
    end = min(end, timezone.localdate())
    if start > end:
        return 0
    rolled = {r.day: r for r in RolledUpDay.objects.filter(day__range=(start, end))}
    pending = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    pending = [d for d in pending if not _is_final(rolled.get(d), d)]
    if not pending:
        return 0
    rollup_days(start=pending[0], end=pending[-1])
    return (pending[-1] - pending[0]).days + 1


@transaction.atomic
def rollup_days(*, start: date, end: date) -> None:
    """Recompute the roll-ups of [start, end] from the raw events, in one transaction (idempotent).

    The RolledUpDay rows are locked first, so two workers (or a worker and a report) never interleave.
    """
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    now = timezone.now()
    RolledUpDay.objects.bulk_create([RolledUpDay(day=d, rolled_at=now) for d in days], ignore_conflicts=True)
    # In day order, so two overlapping roll-ups wait for each other instead of deadlocking.
    list(RolledUpDay.objects.select_for_update().filter(day__range=(start, end)).order_by("day").values_list("day"))
    since, until = day_bounds(start)[0], day_bounds(end)[1]
    events = Event.objects.filter(occurred_at__gte=since, occurred_at__lt=until).annotate(
        day=TruncDate("occurred_at", tzinfo=timezone.get_default_timezone())
    )
    actor = _actor()
    metrics = [
        DailyMetric(day=row["day"], metric=row["name"], events=row["n"], actors=row["a"], amount=row["amt"] or 0)
        for row in events.values("day", "name").annotate(
            n=Count("id"), a=Count(actor, distinct=True), amt=Sum("amount")
        )
    ]
    metrics += [
        DailyMetric(day=row["day"], metric=DailyMetric.VISITS, events=row["n"], actors=row["a"])
        for row in events.values("day").annotate(n=Count("id"), a=Count(actor, distinct=True))
    ]
    products = [
        DailyProduct(day=row["day"], product_id=row["object_id"], views=row["views"], cart_adds=row["adds"])
        for row in events.filter(name__in=[EventName.PRODUCT_VIEWED, EventName.CART_ADD], object_id__isnull=False)
        .values("day", "object_id")
        .annotate(
            views=Count("id", filter=Q(name=EventName.PRODUCT_VIEWED)),
            adds=Count("id", filter=Q(name=EventName.CART_ADD)),
        )
    ]
    searches = [
        DailySearch(day=row["day"], query=row["query"], searches=row["n"], zero_results=row["zero"])
        for row in events.filter(name=EventName.SEARCH)
        .exclude(query="")
        .values("day", "query")
        .annotate(n=Count("id"), zero=Count("id", filter=Q(count=0)))
    ]
    for model in (DailyMetric, DailyProduct, DailySearch):
        model.objects.filter(day__range=(start, end)).delete()
    DailyMetric.objects.bulk_create(metrics, batch_size=1000)
    DailyProduct.objects.bulk_create(products, batch_size=1000)
    DailySearch.objects.bulk_create(searches, batch_size=1000)
    RolledUpDay.objects.filter(day__range=(start, end)).update(rolled_at=now)


def rollup_recent(*, days: int = 3) -> int:
    """The periodic job: finalise the last few days (yesterday's roll-up once its grace has passed)."""
    today = timezone.localdate()
    return rollup_pending(start=today - timedelta(days=days), end=today)


# --- Pruning --------------------------------------------------------------------------------------


@dataclass
class PruneResult:
    rolled_up_days: int
    deleted: int


def events_prune(*, older_than: timedelta, batch_size: int = 10_000) -> PruneResult:
    """Delete raw events older than `older_than`, after rolling their days up (the report keeps its figures).

    Deletes in batches, so neither PostgreSQL nor SQLite holds a long lock over the table.
    """
    cutoff = timezone.now() - older_than
    first = Event.objects.filter(occurred_at__lt=cutoff).order_by("occurred_at").values_list("occurred_at", flat=True)
    oldest = first.first()
    rolled = 0
    if oldest is not None:
        zone = timezone.get_default_timezone()
        rolled = rollup_pending(start=timezone.localtime(oldest, zone).date(), end=timezone.localtime(cutoff).date())
    deleted = 0
    while True:
        ids = list(Event.objects.filter(occurred_at__lt=cutoff).values_list("pk", flat=True)[:batch_size])
        if not ids:
            break
        deleted += Event.objects.filter(pk__in=ids).delete()[0]
    return PruneResult(rolled_up_days=rolled, deleted=deleted)
