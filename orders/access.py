"""Who may see an order: its owner, or a browser that holds a grant for it.

A guest has no account, so a grant stands in for one: the browser that placed the order gets one, and so
does whoever opens the order's signed link (the confirmation mail, the order page and the lookup mail carry
it). A link is an HMAC of the order number (Django's signing, keyed by SECRET_KEY, salted), so it cannot be
guessed or altered, and it opens its order for ORDER_LINK_MAX_AGE seconds after it was made.
"""

from functools import wraps

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core import signing
from django.db.models import Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.throttle import throttle_blocked, throttle_fail
from accounts.tokens import signed_read
from notifications.services import mail_enqueue
from orders.models import Order
from orders.selectors import order_by_number_and_email

LINK_SALT = "orders.access.link"
GRANTS_KEY = "order_grants"
# How the browser came to hold its grant: placing the order, or opening the mailed link (which proves
# the mailbox, so claiming the order then makes a verified account).
PLACED, MAILED_LINK = "placed", "link"


class LinkInvalid(Exception):
    """The link was altered or made up."""


class LinkExpired(LinkInvalid):
    """The link is genuine but older than ORDER_LINK_MAX_AGE."""


def order_link_path(order: Order) -> str:
    """The signed path that opens `order` for whoever holds it."""
    return reverse("orders:order-link", args=[signing.dumps(order.number, salt=LINK_SALT)])


def order_link_number(token: str) -> str:
    """The order number inside a link token; LinkExpired or LinkInvalid otherwise."""
    return signed_read(
        token,
        salt=LINK_SALT,
        max_age=settings.ORDER_LINK_MAX_AGE,
        invalid=LinkInvalid(_("This order link is not valid.")),
        expired=LinkExpired(_("This order link has expired.")),
    )


def grant(request: HttpRequest, order: Order, how: str) -> None:
    """Let this browser see `order` for as long as its session lasts."""
    grants = dict(request.session.get(GRANTS_KEY, {}))
    if grants.get(order.number) != MAILED_LINK:  # a proven mailbox stays proven
        grants[order.number] = how
    request.session[GRANTS_KEY] = grants


def granted_by(request: HttpRequest, number: str) -> str | None:
    """PLACED or MAILED_LINK when this browser holds a grant for the order, else None."""
    return request.session.get(GRANTS_KEY, {}).get(number)


def order_scope(request: HttpRequest, number: str) -> Q | None:
    """The filter that finds the order in the URL for this request, or None: anonymous without a grant."""
    if granted_by(request, number):
        return Q()
    if request.user.is_authenticated:
        return Q(user=request.user)
    return None


def order_viewer(view):
    """Let in the order's owner or a grant holder (as `request.order_scope`); send others to log in."""

    @wraps(view)
    def wrapped(request: HttpRequest, number: str, *args, **kwargs):
        scope = order_scope(request, number)
        if scope is None:
            return redirect_to_login(request.get_full_path())
        request.order_scope = scope
        return view(request, number, *args, **kwargs)

    return wrapped


def guest_orders_attach(*, user, email: str) -> int:
    """Give `user` the guest orders placed with `email` (call it once the user has proven the address)."""
    return Order.objects.filter(user__isnull=True, email__iexact=email).update(user=user)


class LookupThrottled(Exception):
    """Too many lookups from this client or for this address in the window."""


LOOKUP_SCOPES = ("order-lookup-ip", "order-lookup-email")


def order_link_send(*, ip: str, number: str, email: str) -> None:
    """The lookup: mail the order's link to its address if number and address match; say nothing either way.

    Every request counts, per client IP and per address, so the form can neither be used to guess
    numbers nor to flood someone's mailbox. Raises LookupThrottled over ORDER_LOOKUP_LIMIT.
    """
    subjects = dict(zip(LOOKUP_SCOPES, (ip, email.strip().lower()), strict=True))
    if any(throttle_blocked(scope, subject, settings.ORDER_LOOKUP_LIMIT) for scope, subject in subjects.items()):
        raise LookupThrottled(_("Too many requests. Wait a while and try again."))
    for scope, subject in subjects.items():
        throttle_fail(scope, subject, settings.ORDER_LOOKUP_WINDOW)
    order = order_by_number_and_email(number=number, email=email)
    if order is not None:
        context = {"name": order.ship_name, "order_number": order.number, "order_link": order_link_path(order)}
        mail_enqueue(to=order.email, kind="order_link", context=context, vouched_by=order)
