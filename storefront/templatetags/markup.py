"""Small markup filters every template may use (a builtin library: no {% load %})."""

from datetime import datetime

from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def iso_datetime(value: datetime | None) -> str:
    """A `<time datetime>` value: ISO 8601 to the second, in the current time zone ("2026-12-02T04:13:11+00:00")."""
    if not isinstance(value, datetime):
        return ""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.replace(microsecond=0).isoformat()
