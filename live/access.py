"""Who may hear what: the topics of a stream, decided once when it opens, from the same session as the pages.

A browser hears its account (`user:<pk>`), staff events if it is staff, the orders it asks for that it may
see (`?order=<number>`: owner or grant holder, orders.access's rule), and the products it asks for
(`?product=<pk>`, public). The stream ends when the session does (and at the latest after
LIVE_STREAM_MAX_AGE): the browser then reconnects with whatever rights its session has left.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from accounts.net import client_ip
from live.events import STAFF
from orders.access import order_scope
from orders.models import Order

MAX_ORDERS = 10
MAX_PRODUCTS = 50


class Refused(Exception):
    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class Plan:
    topics: frozenset[str]
    visitor: str
    ends_at: datetime


def stream_plan(request: HttpRequest) -> Plan:
    """The topics this request may hear, its visitor key (for the per-visitor cap) and when it must end."""
    numbers = request.GET.getlist("order")
    products = request.GET.getlist("product")
    if len(numbers) > MAX_ORDERS or len(products) > MAX_PRODUCTS:
        raise Refused(400, f"At most {MAX_ORDERS} orders and {MAX_PRODUCTS} products per stream.")
    try:
        product_ids = {int(value) for value in products}
    except ValueError:
        raise Refused(400, "product must be a product id (a whole number).") from None
    if any(pk < 1 or pk > 2**63 - 1 for pk in product_ids):
        raise Refused(400, "product must be a product id (a whole number).")

    topics = {f"product:{pk}" for pk in product_ids}
    user = request.user
    if user.is_authenticated:
        topics.add(f"user:{user.pk}")
        if user.is_staff:
            topics.add(STAFF)
    for number in numbers:
        scope = order_scope(request, number[:20])
        found = Order.objects.filter(scope, number=number[:20]) if scope is not None else Order.objects.none()
        pk = found.values_list("pk", flat=True).first()
        if pk is None:
            raise Refused(403, "This browser may not follow that order.")
        topics.add(f"order:{pk}")
    if not topics:
        raise Refused(204, "Nothing to follow.")

    ends_at = timezone.now() + timedelta(seconds=settings.LIVE_STREAM_MAX_AGE)
    session = request.session
    stored = getattr(session, "stored_expiry", None)
    expiry = stored() if stored else None
    if expiry is not None:
        ends_at = min(ends_at, expiry)
    visitor = f"s:{session.session_key}" if session.session_key else f"ip:{client_ip(request)}"
    return Plan(topics=frozenset(topics), visitor=visitor, ends_at=ends_at)
