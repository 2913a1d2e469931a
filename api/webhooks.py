"""Outbound webhooks: an event becomes one delivery row per subscribed webhook, written in the caller's
transaction; a task POSTs it, signed, and retries with backoff. The shop's services call `event_emit`.
"""

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from api.models import Webhook, WebhookDelivery, WebhookEvent

logger = logging.getLogger(__name__)
SIGNATURE_HEADER = "X-Shop-Signature"


def event_emit(event: str, payload: dict) -> int:
    """Queue `event` for every active webhook subscribed to it (one query when none is). Returns how many."""
    return events_emit(event, [payload])


def events_emit(event: str, payloads: list[dict]) -> int:
    if event not in WebhookEvent.values:
        raise ValueError(f"Unknown webhook event {event!r}.")
    hooks = [hook for hook in Webhook.objects.filter(is_active=True).only("pk", "events") if event in hook.events]
    if not hooks or not payloads:
        return 0
    deliveries = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(webhook=hook, event=event, payload=payload) for hook in hooks for payload in payloads
    )
    ids = [d.pk for d in deliveries]
    transaction.on_commit(lambda: _enqueue(ids), robust=True)
    return len(ids)


def _enqueue(ids: list[int], run_after=None) -> None:
    from api import tasks

    task = tasks.deliver_webhook if run_after is None else tasks.deliver_webhook.using(run_after=run_after)
    for delivery_id in ids:
        task.enqueue(delivery_id)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """`t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">`: receivers recompute it and check the time."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def backoff(attempts: int) -> timedelta:
    seconds = settings.API_WEBHOOK_BACKOFF_SECONDS * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, settings.API_WEBHOOK_BACKOFF_MAX_SECONDS))


def delivery_send(delivery_id: int) -> str:
    """POST one delivery (claimed by a conditional UPDATE, so duplicate tasks are harmless); record the outcome.

    2xx: delivered. Anything else, or no answer: failed, retried after a doubling backoff, dead after
    API_WEBHOOK_MAX_ATTEMPTS.
    """
    now = timezone.now()
    due = WebhookDelivery.objects.filter(
        pk=delivery_id,
        status__in=[WebhookDelivery.Status.PENDING, WebhookDelivery.Status.FAILED],
        next_attempt_at__lte=now,
    )
    # Claim: push next_attempt_at out so a second worker skips it while this one sends.
    if not due.update(
        attempts=F("attempts") + 1, next_attempt_at=now + timedelta(seconds=settings.API_WEBHOOK_TIMEOUT * 3)
    ):
        return "skipped"
    delivery = WebhookDelivery.objects.select_related("webhook").get(pk=delivery_id)
    body = json.dumps(
        {
            "id": delivery.pk,
            "event": delivery.event,
            "created_at": delivery.created_at.isoformat(),
            "data": delivery.payload,
        }
    ).encode()
    request = urllib.request.Request(  # noqa: S310 - staff register http(s) URLs only (URLField)
        delivery.webhook.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": f"{settings.SHOP_NAME} webhooks",
            "X-Shop-Event": delivery.event,
            "X-Shop-Delivery": str(delivery.pk),
            SIGNATURE_HEADER: signature(delivery.webhook.secret, int(time.time()), body),
        },
    )
    status, error = None, ""
    try:
        with urllib.request.urlopen(request, timeout=settings.API_WEBHOOK_TIMEOUT) as response:  # noqa: S310
            status = response.status
    except urllib.error.HTTPError as exc:
        status, error = exc.code, f"HTTP {exc.code}"
    except (OSError, ValueError) as exc:
        error = f"{type(exc).__name__}: {exc}"
    row = WebhookDelivery.objects.filter(pk=delivery_id)
    if status is not None and 200 <= status < 300:
        row.update(
            status=WebhookDelivery.Status.DELIVERED, response_status=status, last_error="", delivered_at=timezone.now()
        )
        return "delivered"
    logger.warning("webhook delivery failed", extra={"delivery": delivery_id, "error": error})
    if delivery.attempts >= settings.API_WEBHOOK_MAX_ATTEMPTS:
        row.update(status=WebhookDelivery.Status.DEAD, response_status=status, last_error=error[:2000])
        return "dead"
    retry_at = timezone.now() + backoff(delivery.attempts)
    row.update(
        status=WebhookDelivery.Status.FAILED, response_status=status, last_error=error[:2000], next_attempt_at=retry_at
    )
    _enqueue([delivery_id], retry_at)
    return "failed"


def deliveries_retry(deliveries) -> int:
    """Queue dead or failed deliveries again now (the admin's action)."""
    ids = list(deliveries.exclude(status=WebhookDelivery.Status.DELIVERED).values_list("pk", flat=True))
    WebhookDelivery.objects.filter(pk__in=ids).update(
        status=WebhookDelivery.Status.PENDING, attempts=0, next_attempt_at=timezone.now()
    )
    transaction.on_commit(lambda: _enqueue(ids), robust=True)
    return len(ids)


# --- What the shop's services call ---------------------------------------------------------------------

ORDER_EVENTS = {"paid": WebhookEvent.ORDER_PAID, "shipped": WebhookEvent.ORDER_SHIPPED}


def order_event(*, order, status: str) -> None:
    """An order reached `status`: tell subscribers when it is one integrations follow (paid, shipped)."""
    event = ORDER_EVENTS.get(status)
    if event is not None:
        event_emit(
            event,
            {
                "number": order.number,
                "status": status,
                "total": str(order.total),
                "currency": order.currency,
                "email": order.email,
            },
        )


def stock_low_check(items: list[tuple[int, int]]) -> None:
    """After stock was taken: variants that just fell to the low-stock threshold or below (`stock.low`).

    Each payload is the product's, with the variant that crossed the threshold under `variant`.
    """
    from catalog.models import LOW_STOCK_THRESHOLD, ProductVariant
    from catalog.services import product_payload, variant_payload

    taken = dict(items)
    crossed = [
        variant
        for variant in ProductVariant.objects.filter(pk__in=taken, stock__lte=LOW_STOCK_THRESHOLD)
        .select_related("product")
        .prefetch_related("product__variants")
        if variant.stock + taken[variant.pk] > LOW_STOCK_THRESHOLD
    ]
    if crossed:
        events_emit(
            WebhookEvent.STOCK_LOW, [{**product_payload(v.product), "variant": variant_payload(v)} for v in crossed]
        )
