"""The staff report: parse the period → roll up what is missing → read the report → render page or fragment."""

import ipaddress
from functools import wraps

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from accounts.net import client_ip
from analytics import charts, selectors, services
from analytics.forms import ReportForm
from analytics.recorder import recorder
from shop.rendering import render_page_or_fragment, wants_fragment


def ip_allowed(ip: str) -> bool:
    """True when ANALYTICS_ALLOWED_IPS is empty or contains the address (addresses or CIDR networks)."""
    allowed = settings.ANALYTICS_ALLOWED_IPS
    if not allowed:
        return True
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    if getattr(address, "ipv4_mapped", None):  # ::ffff:10.0.0.5 from a dual-stack listener
        address = address.ipv4_mapped
    return any(address in ipaddress.ip_network(entry, strict=False) for entry in allowed)


def analytics_staff(view):
    """Outside ANALYTICS_ALLOWED_IPS: 404 for everyone. Inside: staff only (others go to the login page)."""
    protected = staff_member_required(view)

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not ip_allowed(client_ip(request)):
            raise Http404("Not found.")
        return protected(request, *args, **kwargs)

    return wrapped


@never_cache
@analytics_staff
@require_safe
def report(request: HttpRequest) -> HttpResponse:
    form = ReportForm(request.GET)
    context = {"form": form, "presets": selectors.PRESETS, "recorder": recorder.stats}
    if form.is_valid():
        period = form.cleaned_data["period"]
        services.rollup_pending(start=period.previous_start, end=period.end)
        data = selectors.report_get(period=period)
        context.update(
            form=ReportForm.for_period(period),
            report=data,
            charts=charts.report_charts(data.days),
            funnel=charts.funnel_chart(data.funnel),
        )
    # htmx swaps only 2xx answers, so its fragment carries the form errors with a 200.
    status = 200 if form.is_valid() or wants_fragment(request) else 400
    return render_page_or_fragment(request, "analytics/report.html", context, fragment="report", status=status)


@never_cache
@analytics_staff
@require_safe
def export(request: HttpRequest, kind: str) -> HttpResponse:
    form = ReportForm(request.GET)
    if not form.is_valid():
        reasons = "; ".join(str(e) for errors in form.errors.values() for e in errors)
        return HttpResponseBadRequest(f"{reasons}\n", content_type="text/plain; charset=utf-8")
    period = form.cleaned_data["period"]
    if kind == "events":
        services.events_flush()
        rows = selectors.events_csv(period=period)
    else:
        services.rollup_pending(start=period.start, end=period.end)
        rows = selectors.daily_csv(period=period)
    response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
    filename = f"analytics-{kind}-{period.start:%Y-%m-%d}-{period.end:%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
