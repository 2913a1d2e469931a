"""Reads for orders: a shopper's orders and one order with everything its page shows.

`scope` is the filter `orders.access.order_scope` chose for the request: the user's own orders, or any
order the browser holds a grant for.
"""

from django.db.models import Prefetch, Q, QuerySet

from orders.models import Order, OrderLine, OrderTransition, Payment


def order_list_for_user(*, user) -> QuerySet[Order]:
    return Order.objects.filter(user=user).select_related("invoice").order_by("-created_at", "-id")


def order_get(*, scope: Q, number: str) -> Order:
    """The order by number within `scope`, with lines, tax breakdown, invoice and history; Order.DoesNotExist
    otherwise."""
    return (
        Order.objects.select_related("invoice")
        .prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.order_by("id")),
            Prefetch("transitions", queryset=OrderTransition.objects.order_by("at", "id")),
            "tax_lines",
        )
        .filter(scope)
        .get(number=number)
    )


def order_status(*, scope: Q, number: str) -> Order:
    """Just what the live status fragment needs (one query)."""
    return Order.objects.select_related("invoice").filter(scope).get(number=number)


def order_by_number_and_email(*, number: str, email: str) -> Order | None:
    """The order the lookup form describes, or None (the caller answers the same either way)."""
    return Order.objects.filter(number__iexact=number.strip(), email__iexact=email.strip()).first()


def payment_latest(*, order: Order) -> Payment | None:
    return Payment.objects.filter(invoice__order=order).order_by("-created_at", "-id").first()
