"""Vouchers in use: applying a code to a cart (with the shopper's messages), checking it again when the
cart changes, redeeming it when the order is placed, and generating codes in bulk.

Locks: redemption takes the voucher's row lock inside the place transaction, after the variants and
before the invoice counter (see orders/services.py). The conditional UPDATE (times_used < limit) is the
truth; the CHECK constraint stands behind it.
"""

import secrets
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.throttle import throttle_blocked, throttle_fail
from catalog.money import format_money
from discounts.models import Redemption, Voucher, code_normalise

# No 0/O, 1/I/L: a code read from paper is typed right.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
THROTTLE_SCOPE = "voucher-guess"
UNKNOWN = gettext_lazy("This code is not valid. Check it and try again.")
THROTTLED = gettext_lazy("Too many codes tried. Please wait a few minutes and try again.")


class VoucherRefused(Exception):
    """The code cannot be used now: the message says why, for the shopper."""


@dataclass(frozen=True)
class Redeemed:
    voucher: Voucher
    email: str


def voucher_find(code: str) -> Voucher | None:
    code = code_normalise(code)
    if not code:
        return None
    return Voucher.objects.filter(code__iexact=code).first()


def _when(moment) -> str:
    return date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def voucher_problem(voucher: Voucher, *, subtotal: Decimal, now=None) -> str:
    """Why the voucher cannot be used on goods worth `subtotal` now ("" when it can). No query."""
    now = now or timezone.now()
    if not voucher.is_active:
        return str(UNKNOWN)
    if voucher.valid_from is not None and now < voucher.valid_from:
        return _("This code is valid from %(when)s.") % {"when": _when(voucher.valid_from)}
    if voucher.valid_until is not None and now >= voucher.valid_until:
        return _("This code expired on %(when)s.") % {"when": _when(voucher.valid_until)}
    if voucher.usage_limit is not None and voucher.times_used >= voucher.usage_limit:
        return _("This code has been used up.")
    if subtotal < voucher.minimum_order:
        more = format_money(voucher.minimum_order - subtotal, settings.SHOP_CURRENCY)
        return _("Add %(amount)s more to use this code.") % {"amount": more}
    return ""


def voucher_customer_problem(voucher: Voucher, email: str) -> str:
    """The per-customer limit for `email` (one query; nothing to check without a limit or an address)."""
    if voucher.per_customer_limit is None or not email:
        return ""
    used = Redemption.objects.filter(voucher=voucher, email=email.strip().lower()).count()
    if used >= voucher.per_customer_limit:
        return _("You have already used this code as often as it allows.")
    return ""


def voucher_apply(cart, code: str, *, subtotal: Decimal, email: str = "", ip: str = "") -> Voucher:
    """Put the voucher of `code` on the cart, or raise VoucherRefused saying why.

    Unknown codes count against the cart and the IP address; after VOUCHER_GUESS_LIMIT of them within
    VOUCHER_GUESS_WINDOW seconds every try is refused, right or wrong.
    """
    subjects = [f"cart:{cart.pk}"] + ([f"ip:{ip}"] if ip else [])
    if any(throttle_blocked(THROTTLE_SCOPE, s, settings.VOUCHER_GUESS_LIMIT) for s in subjects):
        raise VoucherRefused(str(THROTTLED))
    voucher = voucher_find(code)
    if voucher is None:
        for subject in subjects:
            throttle_fail(THROTTLE_SCOPE, subject, settings.VOUCHER_GUESS_WINDOW)
        raise VoucherRefused(str(UNKNOWN))
    problem = voucher_problem(voucher, subtotal=subtotal) or voucher_customer_problem(voucher, email)
    if problem:
        raise VoucherRefused(problem)
    type(cart).objects.filter(pk=cart.pk).update(voucher=voucher)
    cart.voucher = voucher
    return voucher


def voucher_remove(cart) -> None:
    type(cart).objects.filter(pk=cart.pk).update(voucher=None)
    cart.voucher = None


def cart_voucher_check(cart, *, subtotal: Decimal) -> str:
    """Take the voucher off a cart that no longer qualifies; the message says why ("" when it still does).

    No query while the voucher holds (it comes with the cart); one UPDATE when it is removed.
    """
    voucher = getattr(cart, "voucher", None) if cart is not None else None
    if voucher is None:
        return ""
    problem = voucher_problem(voucher, subtotal=subtotal)
    if not problem:
        return ""
    voucher_remove(cart)
    return _("The code %(code)s was removed: %(reason)s") % {"code": voucher.code, "reason": problem}


def voucher_redeem(voucher_id: int, *, email: str, subtotal: Decimal) -> Voucher:
    """Use the voucher once for `email`, in the caller's transaction; VoucherRefused when it cannot be.

    The row lock serialises redemptions of one code, so the per-customer count is exact; the
    conditional UPDATE takes a use only while one is left.
    """
    voucher = Voucher.objects.select_for_update().filter(pk=voucher_id).first()
    if voucher is None:
        raise VoucherRefused(str(UNKNOWN))
    problem = voucher_problem(voucher, subtotal=subtotal) or voucher_customer_problem(voucher, email)
    if problem:
        raise VoucherRefused(problem)
    taken = (
        Voucher.objects.filter(pk=voucher_id)
        .filter(Q(usage_limit__isnull=True) | Q(times_used__lt=F("usage_limit")))
        .update(times_used=F("times_used") + 1)
    )
    if not taken:
        raise VoucherRefused(_("This code has been used up."))
    voucher.times_used += 1
    return voucher


def redemption_record(*, voucher: Voucher, order, email: str, amount: Decimal) -> Redemption:
    return Redemption.objects.create(voucher=voucher, order=order, email=email.strip().lower(), amount=amount)


def redemption_release(*, order) -> bool:
    """A cancelled order gives its voucher use back, once (its Redemption row goes with it).

    In the caller's transaction, after the order's variants: the voucher is the last lock taken.
    """
    redemption = Redemption.objects.select_for_update().filter(order=order).first()
    if redemption is None:
        return False
    Voucher.objects.filter(pk=redemption.voucher_id, times_used__gt=0).update(times_used=F("times_used") - 1)
    redemption.delete()
    return True


# --- Bulk codes ---------------------------------------------------------------------------------------


def code_new(prefix: str = "", length: int = 8) -> str:
    return code_normalise(prefix) + "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def codes_generate(count: int, *, prefix: str = "", length: int = 8, batch: str = "", **fields) -> list[Voucher]:
    """`count` new single-use vouchers with unique random codes, all or none.

    Codes that collide with existing ones (the unique constraint says so) are drawn again.
    """
    batch = batch or f"{code_normalise(prefix) or 'BATCH'}-{timezone.now():%Y%m%d%H%M%S}"
    made: list[Voucher] = []
    with transaction.atomic():
        while len(made) < count:
            wanted = count - len(made)
            codes = {code_new(prefix, length) for _ in range(wanted)}
            taken = set(
                Voucher.objects.filter(code__in=codes).values_list("code", flat=True)
            )  # stored upper-cased, as generated
            fresh = [c for c in codes if c not in taken]
            try:
                with transaction.atomic():
                    made += Voucher.objects.bulk_create(
                        Voucher(code=c, usage_limit=1, per_customer_limit=1, batch=batch, **fields) for c in fresh
                    )
            except IntegrityError:  # a concurrent generator drew the same code: draw again
                continue
    return made
