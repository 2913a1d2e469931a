"""What the shop's services call to push an event to the browsers that may see it.

Each function is safe inside a transaction: the event leaves when the transaction commits (at once outside
one), and never if it rolls back; a failure to send is logged, never raised into the caller. Events carry
no shop data to shoppers: a page hears "order 42 changed" and re-fetches its own fragment with its own
permissions. Only staff events carry a short text (the toast).

Topics (who hears it is decided by live.access when the stream opens):
  order:<pk>    the order's owner or a browser holding its grant
  user:<pk>     every tab and device logged in to that account
  product:<pk>  anyone looking at the product page
  staff         staff only
"""

import json
import logging
from collections.abc import Iterable

from django.db import transaction

from live import broker

logger = logging.getLogger(__name__)

STAFF = "staff"


def publish(topic: str, event: str, data: str = "") -> None:
    """Send `event` (an SSE event name) to the streams of `topic` once the current transaction commits."""
    message = broker.Message(topic=topic, event=event, data=data)
    transaction.on_commit(lambda: _send(message))


def _send(message: broker.Message) -> None:
    try:
        broker.send(message)
    except Exception:  # a lost push only delays a page until its next re-sync or poll; the sale stands
        logger.exception("live: could not publish %s to %s", message.event, message.topic)


def order_changed(order) -> None:
    """The order moved (paid, shipped, cancelled…): its open page re-fetches its status."""
    publish(f"order:{order.pk}", f"order-{order.pk}")


def stock_changed(product_ids: Iterable[int]) -> None:
    """Stock of these products moved: open product pages re-fetch their stock and button."""
    for product_id in sorted(set(product_ids)):
        publish(f"product:{product_id}", f"stock-{product_id}")


def variant_stock_changed(variant_ids: Iterable[int]) -> None:
    """Stock of these variants moved: their products' open pages re-fetch the chosen variant's stock.

    The variants' products are read once, when the transaction commits, so the caller's transaction
    (checkout) pays no query for it.
    """
    ids = sorted(set(variant_ids))
    if not ids:
        return

    def send() -> None:
        from catalog.models import ProductVariant

        try:
            product_ids = sorted(set(ProductVariant.objects.filter(pk__in=ids).values_list("product_id", flat=True)))
        except Exception:  # as _send: a lost push only delays a page until its next re-sync or poll
            logger.exception("live: could not read the products of variants %s", ids)
            return
        for product_id in product_ids:
            _send(broker.Message(topic=f"product:{product_id}", event=f"stock-{product_id}", data=""))

    transaction.on_commit(send)


def cart_changed(user_id: int | None) -> None:
    """An account's cart changed: the badge in its other tabs and devices re-fetches."""
    if user_id is not None:
        publish(f"user:{user_id}", "cart-changed")


def staff_order_placed(order) -> None:
    publish(STAFF, "staff-order", _staff_data(kind="order", text=f"New order {order.number}", order=order))


def staff_payment_failed(order) -> None:
    text = f"Payment failed: order {order.number}"
    publish(STAFF, "staff-payment", _staff_data(kind="payment", text=text, order=order))


def _staff_data(*, kind: str, text: str, order) -> str:
    return json.dumps({"kind": kind, "text": text, "number": order.number, "total": str(order.total)})
