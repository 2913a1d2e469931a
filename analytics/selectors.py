"""Reads for the staff report: every figure from the daily roll-ups, in a fixed handful of queries.

Call `analytics.services.rollup_pending(start=period.previous_start, end=period.end)` first so the days
of the period are rolled up (the report of a closed day never touches the raw events again).
"""

import csv
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import DecimalField, F, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from analytics.models import DailyMetric, DailyProduct, DailySearch, Event, EventName
from analytics.services import day_bounds
from catalog.models import Product
from orders.models import Order

EARLIEST = date(2000, 1, 1)
MAX_DAYS = 731  # two years
PRESETS = (7, 30, 90)
DEFAULT_DAYS = 30


class InvalidPeriod(ValueError):
    """A range the report refuses, with the reason to show."""


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def previous_start(self) -> date:
        return self.start - timedelta(days=self.days)

    @property
    def previous_end(self) -> date:
        return self.start - timedelta(days=1)

    def dates(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range(self.days)]

    @property
    def preset(self) -> int | None:
        """7, 30 or 90 when the period is "the last N days"."""
        return self.days if self.end == timezone.localdate() and self.days in PRESETS else None


def period_make(start: date | None, end: date | None, *, days: int | None = None) -> Period:
    """The period asked for: the last `days` days, or [start, end]; the last 30 days when nothing is given."""
    today = timezone.localdate()
    out_of_range = InvalidPeriod(
        gettext("Dates must lie between %(earliest)s and today (%(today)s).")
        % {"earliest": f"{EARLIEST:%Y-%m-%d}", "today": f"{today:%Y-%m-%d}"}
    )
    # Before any date arithmetic: 0001-01-05 minus 29 days overflows.
    if any(value is not None and not EARLIEST <= value <= today for value in (start, end)):
        raise out_of_range
    if days is not None:
        if days not in PRESETS:
            raise InvalidPeriod(gettext("Choose one of %(presets)s days.") % {"presets": ", ".join(map(str, PRESETS))})
        start, end = today - timedelta(days=days - 1), today
    elif start is None and end is None:
        start, end = today - timedelta(days=DEFAULT_DAYS - 1), today
    elif start is None:
        start = end - timedelta(days=DEFAULT_DAYS - 1)
    elif end is None:
        end = today
    if start < EARLIEST or end > today:
        raise out_of_range
    if start > end:
        raise InvalidPeriod(gettext("The start date is after the end date."))
    if (end - start).days + 1 > MAX_DAYS:
        raise InvalidPeriod(gettext("A report covers at most %(days)s days (two years).") % {"days": MAX_DAYS})
    return Period(start, end)


# --- The report -----------------------------------------------------------------------------------


@dataclass
class Total:
    key: str
    label: str
    value: Decimal | int
    previous: Decimal | int
    money: bool = False

    @property
    def change(self) -> float | None:
        """Change against the previous period in percent; None when the previous period had nothing."""
        if not self.previous:
            return None
        return float((self.value - self.previous) * 100 / self.previous)


@dataclass
class Day:
    day: date
    visits: int = 0
    views: int = 0
    cart_adds: int = 0
    orders: int = 0
    revenue: Decimal = Decimal("0.00")


@dataclass
class FunnelStep:
    label: str
    actors: int
    of_first: float | None
    of_previous: float | None


@dataclass
class Report:
    period: Period
    totals: list[Total]
    days: list[Day]
    funnel: list[FunnelStep]
    top_products: list[dict] = field(default_factory=list)
    top_searches: list[dict] = field(default_factory=list)
    zero_searches: list[dict] = field(default_factory=list)

    def total(self, key: str) -> Total:
        return next(t for t in self.totals if t.key == key)


# (key, label, metric, column, money)
TOTALS = [
    ("visits", _("Visits"), DailyMetric.VISITS, "actors", False),
    ("views", _("Product views"), EventName.PRODUCT_VIEWED, "events", False),
    ("searches", _("Searches"), EventName.SEARCH, "events", False),
    ("cart_adds", _("Add-to-carts"), EventName.CART_ADD, "events", False),
    ("cart_removes", _("Removals from cart"), EventName.CART_REMOVE, "events", False),
    ("checkouts", _("Checkouts started"), EventName.CHECKOUT_STARTED, "events", False),
    ("orders", _("Orders"), EventName.ORDER_PLACED, "events", False),
    ("order_value", _("Order value"), EventName.ORDER_PLACED, "amount", True),
    ("payments", _("Payments"), EventName.PAYMENT_SUCCEEDED, "events", False),
    ("payment_failures", _("Failed payments"), EventName.PAYMENT_FAILED, "events", False),
    ("revenue", _("Revenue (paid)"), EventName.PAYMENT_SUCCEEDED, "amount", True),
    ("registrations", _("Registrations"), EventName.REGISTERED, "events", False),
    ("logins", _("Logins"), EventName.LOGGED_IN, "events", False),
]
FUNNEL = [
    (_("Viewed a product"), EventName.PRODUCT_VIEWED),
    (_("Added to cart"), EventName.CART_ADD),
    (_("Started checkout"), EventName.CHECKOUT_STARTED),
    (_("Paid"), EventName.PAYMENT_SUCCEEDED),
]


def _percent(part: int, whole: int) -> float | None:
    return part * 100 / whole if whole else None


def report_get(*, period: Period, limit: int = 10) -> Report:
    """Totals (with the previous period), daily series, funnel, top products and searches, the orders'
    discounts and net revenue: six queries."""
    rows = DailyMetric.objects.filter(day__range=(period.previous_start, period.end)).values_list(
        "day", "metric", "events", "actors", "amount"
    )
    current: dict[tuple[str, str], Decimal | int] = defaultdict(int)
    previous: dict[tuple[str, str], Decimal | int] = defaultdict(int)
    by_day: dict[tuple[date, str], tuple[int, int, Decimal]] = {}
    for day, metric, events, actors, amount in rows:
        bucket = current if day >= period.start else previous
        bucket[metric, "events"] += events
        bucket[metric, "actors"] += actors
        bucket[metric, "amount"] += amount
        by_day[day, metric] = (events, actors, amount)

    totals = [
        Total(key, label, current[metric, column], previous[metric, column], money)
        for key, label, metric, column, money in TOTALS
    ]
    days = []
    for day in period.dates():
        get = lambda metric, day=day: by_day.get((day, metric), (0, 0, Decimal("0.00")))  # noqa: E731
        days.append(
            Day(
                day=day,
                visits=get(DailyMetric.VISITS)[1],
                views=get(EventName.PRODUCT_VIEWED)[0],
                cart_adds=get(EventName.CART_ADD)[0],
                orders=get(EventName.ORDER_PLACED)[0],
                revenue=Decimal(get(EventName.PAYMENT_SUCCEEDED)[2]),
            )
        )
    funnel, first, before = [], None, None
    for label, metric in FUNNEL:
        actors = current[metric, "actors"]
        first = actors if first is None else first
        funnel.append(FunnelStep(label, actors, _percent(actors, first), _percent(actors, before)))
        before = actors
    totals += _order_totals(period)
    return Report(
        period=period,
        totals=totals,
        days=days,
        funnel=funnel,
        top_products=_top_products(period, limit),
        top_searches=_top_searches(period, limit),
        zero_searches=_zero_searches(period, limit),
    )


# From the orders themselves (not the usage events, which a shopper may opt out of): orders placed in the
# period and not cancelled. Net revenue is what the shopper pays, less tax: discounts are already off.
ORDER_TOTALS = [
    ("discounts", _("Discounts given"), "discounts"),
    ("tax", _("Tax collected"), "tax"),
    ("net_revenue", _("Revenue net of discounts and tax"), "net"),
]


def _order_totals(period: Period) -> list[Total]:
    """One aggregate over the orders of this and the previous period."""

    def window(start: date, end: date) -> Q:
        return Q(created_at__date__gte=start, created_at__date__lte=end)

    zero = Value(Decimal("0.00"), output_field=DecimalField(max_digits=12, decimal_places=2))
    sums = {}
    for name, q in (
        ("now", window(period.start, period.end)),
        ("before", window(period.previous_start, period.previous_end)),
    ):
        sums[f"discounts_{name}"] = Coalesce(Sum(F("discount") + F("shipping_discount"), filter=q), zero)
        sums[f"tax_{name}"] = Coalesce(Sum("tax", filter=q), zero)
        sums[f"net_{name}"] = Coalesce(Sum(F("total") - F("tax"), filter=q), zero)
    row = Order.objects.exclude(status=Order.Status.CANCELLED).aggregate(**sums)
    return [Total(key, label, row[f"{field}_now"], row[f"{field}_before"], True) for key, label, field in ORDER_TOTALS]


def _top_products(period: Period, limit: int) -> list[dict]:
    rows = list(
        DailyProduct.objects.filter(day__range=(period.start, period.end))
        .values("product_id")
        .annotate(views=Sum("views"), cart_adds=Sum("cart_adds"))
        .order_by("-views", "-cart_adds", "product_id")[:limit]
    )
    names = dict(Product.objects.filter(pk__in=[r["product_id"] for r in rows]).values_list("pk", "name"))
    return [{**row, "name": names.get(row["product_id"], f"Product #{row['product_id']}")} for row in rows]


def _top_searches(period: Period, limit: int) -> list[dict]:
    return list(
        DailySearch.objects.filter(day__range=(period.start, period.end))
        .values("query")
        .annotate(searches=Sum("searches"), zero_results=Sum("zero_results"))
        .order_by("-searches", "query")[:limit]
    )


def _zero_searches(period: Period, limit: int) -> list[dict]:
    return list(
        DailySearch.objects.filter(day__range=(period.start, period.end), zero_results__gt=0)
        .values("query")
        .annotate(zero_results=Sum("zero_results"))
        .order_by("-zero_results", "query")[:limit]
    )


# --- Exports --------------------------------------------------------------------------------------

EVENT_COLUMNS = ["occurred_at", "name", "user_id", "visitor", "object_id", "query", "count", "amount"]
DAILY_COLUMNS = ["day", "visits", *[key for key, *_ in TOTALS if key != "visits"]]


class _Echo:
    def write(self, value: str) -> str:
        return value


def _cell(value) -> str:
    """Text a spreadsheet would run as a formula gets a leading apostrophe (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def events_csv(*, period: Period) -> Iterator[str]:
    """The raw events of the period as CSV lines, streamed from the database in chunks."""
    writer = csv.writer(_Echo())
    yield writer.writerow(EVENT_COLUMNS)
    since, until = day_bounds(period.start)[0], day_bounds(period.end)[1]
    events = (
        Event.objects.filter(occurred_at__gte=since, occurred_at__lt=until)
        .order_by("occurred_at", "pk")
        .values_list(*EVENT_COLUMNS)
    )
    for occurred_at, *rest in events.iterator(chunk_size=2000):
        yield writer.writerow([timezone.localtime(occurred_at).isoformat(), *map(_cell, rest)])


def daily_rows(*, period: Period) -> list[dict]:
    """One row per day of the period with every total (the daily aggregates export)."""
    rows = DailyMetric.objects.filter(day__range=(period.start, period.end)).values_list(
        "day", "metric", "events", "actors", "amount"
    )
    cells: dict[tuple[date, str, str], Decimal | int] = {}
    for day, metric, events, actors, amount in rows:
        cells[day, metric, "events"], cells[day, metric, "actors"], cells[day, metric, "amount"] = (
            events,
            actors,
            amount,
        )
    return [
        {
            "day": day.isoformat(),
            **{
                key: cells.get((day, metric, column), Decimal("0.00") if money else 0)
                for key, _, metric, column, money in TOTALS
            },
        }
        for day in period.dates()
    ]


def daily_csv(*, period: Period) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(DAILY_COLUMNS)
    for row in daily_rows(period=period):
        yield writer.writerow([row[c] for c in DAILY_COLUMNS])
