"""Server-rendered SVG charts: the geometry is computed here, templates/analytics/report.html draws it.

No JavaScript and no chart library: a bar per day, three labelled grid lines, a few date labels, a
<title>/<desc> summary for screen readers and a <title> per bar (the tooltip). The numbers are also in
the report's tables, so nothing depends on seeing the chart or its colours.
"""

import math
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.utils.dateformat import format as date_format
from django.utils.formats import number_format
from django.utils.translation import gettext, gettext_lazy

from catalog.money import format_money

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 64, 8, 12, 28
X_LABELS = 6


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    title: str


@dataclass
class Tick:
    y: float
    label: str


@dataclass
class XLabel:
    x: float
    label: str


@dataclass
class Chart:
    key: str
    title: str
    desc: str
    bars: list[Bar]
    ticks: list[Tick]
    x_labels: list[XLabel]
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right_edge: int = WIDTH - RIGHT
    baseline: int = HEIGHT - BOTTOM


def _nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 × 10ⁿ at or above `value` (round grid lines)."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 2.5, 5, 10) if step * power >= value)


def _format(value: float | Decimal, money: bool) -> str:
    if money:
        return format_money(Decimal(str(value)), settings.SHOP_CURRENCY)  # grid values are floats
    places = 0 if float(value).is_integer() else 1
    return number_format(round(value, places), decimal_pos=places, use_l10n=True, force_grouping=True)


def bar_chart(*, key: str, title: str, points: list[tuple[date, int | Decimal]], money: bool = False) -> Chart:
    """One bar per day, scaled to a rounded maximum."""
    top = _nice_ceiling(float(max((v for _, v in points), default=0)))
    if not money:
        top = max(top, 2)  # whole numbers on the grid lines
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(points), 1)
    bar_w = max(slot * 0.8, 0.5)
    bars = []
    for i, (day, value) in enumerate(points):
        h = plot_h * float(value) / top
        bars.append(
            Bar(
                x=round(LEFT + i * slot + (slot - bar_w) / 2, 2),
                y=round(TOP + plot_h - h, 2),
                width=round(bar_w, 2),
                height=round(h, 2),
                title=f"{date_format(day, 'D d M Y')}: {_format(value, money)}",
            )
        )
    ticks = [Tick(y=round(TOP + plot_h - plot_h * f, 2), label=_format(top * f, money)) for f in (0, 0.5, 1)]
    every = max(math.ceil(len(points) / X_LABELS), 1)
    x_labels = [
        XLabel(x=round(LEFT + i * slot + slot / 2, 2), label=date_format(day, "d M"))
        for i, (day, _) in enumerate(points)
    ][::every]
    total = sum((v for _, v in points), start=Decimal(0) if money else 0)
    desc = gettext("%(title)s per day, %(start)s to %(end)s: total %(total)s") % {
        "title": title,
        "start": date_format(points[0][0], "d M Y"),
        "end": date_format(points[-1][0], "d M Y"),
        "total": _format(total, money),
    }
    if points and total:
        best_day, best = max(points, key=lambda p: p[1])
        desc += gettext(", highest %(best)s on %(day)s") % {
            "best": _format(best, money),
            "day": date_format(best_day, "d M Y"),
        }
    return Chart(key=key, title=title, desc=desc + ".", bars=bars, ticks=ticks, x_labels=x_labels)


SERIES = [
    ("visits", gettext_lazy("Visits"), False),
    ("views", gettext_lazy("Product views"), False),
    ("cart_adds", gettext_lazy("Add-to-carts"), False),
    ("orders", gettext_lazy("Orders"), False),
    ("revenue", gettext_lazy("Revenue"), True),
]


def report_charts(days: list) -> list[Chart]:
    """The report's daily charts (visits, product views, add-to-carts, orders, revenue)."""
    return [
        bar_chart(key=key, title=str(title), points=[(d.day, getattr(d, key)) for d in days], money=money)
        for key, title, money in SERIES
    ]


@dataclass
class FunnelBar:
    y: float
    width: float
    label: str
    text_y: float


FUNNEL_WIDTH, FUNNEL_ROW = 640, 44


def funnel_chart(steps: list) -> dict:
    """Horizontal bars, one per step, as wide as the step's share of the first; the label says it in words."""
    first = steps[0].actors if steps else 0
    bars = []
    for i, step in enumerate(steps):
        share = step.actors / first if first else 0
        words = f"{step.label}: {number_format(step.actors, use_l10n=True, force_grouping=True)}"
        if step.of_first is not None:
            first_share = number_format(step.of_first, decimal_pos=1, use_l10n=True)
            if i and step.of_previous is not None:
                previous_share = number_format(step.of_previous, decimal_pos=1, use_l10n=True)
                words += gettext(" (%(first)s%% of the first step, %(previous)s%% of the previous)") % {
                    "first": first_share,
                    "previous": previous_share,
                }
            else:
                words += gettext(" (%(first)s%% of the first step)") % {"first": first_share}
        bars.append(
            FunnelBar(
                y=i * FUNNEL_ROW, width=round(max(FUNNEL_WIDTH * share, 2), 2), label=words, text_y=i * FUNNEL_ROW + 34
            )
        )
    return {"bars": bars, "width": FUNNEL_WIDTH, "height": FUNNEL_ROW * len(steps)}
