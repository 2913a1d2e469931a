"""Reads for orders: a shopper's orders and one order with everything its page shows."""

from django.db.models import Prefetch, QuerySet

from orders.models import Order, OrderLine, OrderTransition, Payment


def order_list_for_user(*, user) -> QuerySet[Order]:
    return Order.objects.filter(user=user).select_related("invoice").order_by("-created_at", "-id")


def order_get_for_user(*, user, number: str) -> Order:
    """The user's order by number, with lines, invoice and history; Order.DoesNotExist for anyone else's."""
    return (
        Order.objects.select_related("invoice")
        .prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.order_by("id")),
            Prefetch("transitions", queryset=OrderTransition.objects.order_by("at", "id")),
        )
        .get(user=user, number=number)
    )


def order_status_for_user(*, user, number: str) -> Order:
    """Just what the live status fragment needs (one query)."""
    return Order.objects.select_related("invoice").get(user=user, number=number)


def payment_latest(*, order: Order) -> Payment | None:
    return Payment.objects.filter(invoice__order=order).order_by("-created_at", "-id").first()
