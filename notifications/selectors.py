from datetime import datetime

from django.db.models import Count, Min

from notifications.models import Message


def outbox_counts() -> dict[str, int]:
    """Messages per status, every status present (zero when none)."""
    counts = dict(Message.objects.order_by().values_list("status").annotate(n=Count("pk")))
    return {status: counts.get(status, 0) for status in Message.Status.values}


def outbox_oldest_waiting() -> datetime | None:
    """When the oldest message still waiting for delivery (queued or failed) was written."""
    waiting = Message.objects.filter(status__in=(Message.Status.QUEUED, Message.Status.FAILED))
    return waiting.aggregate(oldest=Min("created_at"))["oldest"]
