"""The checkout pipeline: placing an order is a sequence of small named steps in one transaction.

cart not empty → every product active → prices (and discounts) unchanged since the shopper saw them →
stock available → reserve stock → redeem the voucher → create order + invoice → record the discounts →
queue confirmation mail (sent on commit).

Each step takes the Checkout and either fills in part of it or raises a CheckoutError whose message
names the problem. checkout_place runs them inside one transaction, so a failing step (or a crash)
leaves nothing behind: no order, no invoice, no reservation, no mail, the cart untouched.
"""

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from cart.models import Cart, CartLine
from cart.services import cart_clear
from catalog.money import format_money
from catalog.selectors import catalog_version, category_tree
from discounts.engine import Applied, discounts_for
from discounts.models import AppliedDiscount, Voucher
from discounts.services import VoucherRefused, redemption_record, voucher_redeem
from live import events as live_events
from notifications.models import Message
from orders import tasks
from orders.models import Order, OrderLine, OrderTaxLine, OrderTransition
from orders.services import (
    OrderError,
    OutOfStock,
    invoice_create,
    order_mail,
    order_number_new,
    stock_reserve,
)
from pricing.tax import REVERSE_CHARGE_NOTE, TaxLine, tax_compute

ADDRESS_FIELDS = ("name", "line1", "line2", "city", "postcode", "country", "phone")


class CheckoutError(OrderError):
    """A step refused: the message says which problem, for the shopper."""


class CartEmpty(CheckoutError):
    pass


class ProductUnavailable(CheckoutError):
    pass


class PricesChanged(CheckoutError):
    """Prices (or the cart) changed since the review: the shopper must look at the new total again."""

    def __init__(self, message: str, totals: "Totals"):
        super().__init__(message)
        self.totals = totals


@dataclass(frozen=True)
class Totals:
    subtotal: Decimal
    shipping_method: str
    shipping_label: str
    shipping_cost: Decimal
    tax_rate: Decimal  # the standard rate of the shipping country (shipping's rate), as a fraction
    tax: Decimal
    total: Decimal
    tax_lines: tuple[TaxLine, ...] = ()  # the breakdown per rate
    line_tax_rates: tuple[Decimal, ...] = ()  # each line's rate in percent, in the lines' order
    prices_include_tax: bool = True
    reverse_charge: bool = False
    reverse_charge_deduction: Decimal = Decimal("0.00")  # gross prices' VAT not charged under reverse charge
    # Discounts (discounts.engine): goods and shipping, what applied, the voucher that did, per line.
    discount: Decimal = Decimal("0.00")
    shipping_discount: Decimal = Decimal("0.00")
    discounts: tuple[Applied, ...] = ()
    voucher_code: str = ""
    voucher: Voucher | None = None
    line_discounts: dict = field(default_factory=dict)  # {line pk: Decimal}
    voucher_note: str = ""  # why the cart's voucher gave nothing (a better promotion that does not stack)

    @property
    def saved(self) -> Decimal:
        return self.discount + self.shipping_discount


@dataclass
class Checkout:
    """What the steps work on: the shopper's choices in, the order out."""

    user: object  # None for a guest
    cart: Cart | None
    address: dict[str, str]
    shipping: str
    quote: str  # the fingerprint of lines and totals the shopper confirmed on the review page
    token: str = ""  # one per review page: a repeated submission finds the order it already placed
    analytics_visitor: str = ""  # the usage statistics' visitor token, empty when the shopper opted out
    email: str = ""  # a guest's address; a member's order takes the account's
    language: str = ""  # the order's language (its mails'); empty: the request's active language
    business: dict[str, str] = field(default_factory=dict)  # "company" and "vat_number" of a business buyer
    lines: list[CartLine] = field(default_factory=list)
    totals: Totals | None = None
    order: Order | None = None


# The default shipping methods' names (ORDER_SHIPPING_RATES), for the catalog: pages show a method's name
# translated (`gettext(label)`) when the catalog has it, as configured otherwise. Orders keep it in English.
SHIPPING_NAMES = (gettext_noop("Standard delivery"), gettext_noop("Express delivery"))


def shipping_rates() -> dict[str, tuple[str, Decimal]]:
    return settings.ORDER_SHIPPING_RATES


def checkout_totals(
    lines: Sequence[CartLine],
    shipping: str,
    *,
    country: str = "",
    region: str = "",
    vat_number: str = "",
    voucher: Voucher | None = None,
    customer_email: str = "",
) -> Totals:
    """Totals at current prices: goods - discounts + shipping - shipping discount, with the tax of the
    shipping country (pricing.tax) on the discounted amounts.

    Prices include tax (SHOP_PRICES_INCLUDE_TAX): the total is the discounted goods + shipping, the tax part
    of it. Otherwise the tax is added. EU reverse charge (a valid `vat_number`) charges no VAT. `voucher`
    must already have passed its conditions (discounts.services)."""
    label, cost = shipping_rates()[shipping]
    subtotal = sum((line.unit_price * line.quantity for line in lines), Decimal("0.00"))
    found = discounts_for(lines, shipping_cost=cost, voucher=voucher, customer_email=customer_email)
    discount, shipping_discount = found.goods, found.shipping_discount
    amounts = [
        (line.variant.tax_class_code_with(line.product), line.unit_price * line.quantity - found.lines.get(line.pk, 0))
        for line in lines
    ]
    result = tax_compute(amounts, cost - shipping_discount, country=country, region=region, vat_number=vat_number)
    return Totals(
        subtotal,
        shipping,
        label,
        cost,
        (result.shipping_rate / 100).quantize(Decimal("0.0001")),
        result.tax,
        result.gross,
        tax_lines=result.lines,
        line_tax_rates=result.line_rates,
        prices_include_tax=result.prices_include_tax,
        reverse_charge=result.reverse_charge,
        reverse_charge_deduction=result.not_charged,
        discount=discount,
        shipping_discount=shipping_discount,
        discounts=tuple(found.applied),
        voucher_code=found.voucher.code if found.voucher else "",
        voucher=found.voucher,
        line_discounts=found.lines,
        voucher_note=found.voucher_note,
    )


def checkout_totals_for(checkout: "Checkout", lines: Sequence[CartLine]) -> Totals:
    """The totals of a checkout's lines for its shipping address, business buyer and the cart's voucher."""
    cart = checkout.cart
    return checkout_totals(
        lines,
        checkout.shipping,
        country=checkout.address.get("country", ""),
        vat_number=checkout.business.get("vat_number", ""),
        voucher=cart.voucher if cart is not None and cart.voucher_id else None,
        customer_email=checkout_email(checkout),
    )


def checkout_quote(lines: Sequence[CartLine], totals: Totals) -> str:
    """A fingerprint of what the review page showed: variants, quantities, prices, discounts, shipping, tax, total."""
    parts = [f"{line.variant_id}:{line.quantity}:{line.unit_price}" for line in lines]
    parts += [totals.shipping_method, str(totals.shipping_cost), str(totals.tax), str(totals.total)]
    parts += [f"{line.rate}:{line.tax}" for line in totals.tax_lines] + [str(totals.reverse_charge)]
    parts += [totals.voucher_code, str(totals.discount), str(totals.shipping_discount)]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


def checkout_lines(cart: Cart | None) -> list[CartLine]:
    """The cart's lines with variant, product and category, in a stable order."""
    if cart is None:
        return []
    queryset = CartLine.objects.filter(cart=cart).select_related("variant", "product__category")
    lines = list(queryset.order_by("created_at", "pk"))
    for line in lines:
        line.variant.product = line.product
    return lines


# --- The steps, in order ------------------------------------------------------------------------------


def step_cart_not_empty(checkout: Checkout) -> None:
    if checkout.cart is None:
        raise CartEmpty(_("Your cart is empty."))
    # The cart's row lock: a second submission of the same cart waits here, then finds it empty.
    Cart.objects.select_for_update().filter(pk=checkout.cart.pk).first()
    checkout.lines = checkout_lines(checkout.cart)
    if not checkout.lines:
        raise CartEmpty(_("Your cart is empty."))


def step_products_active(checkout: Checkout) -> None:
    visible = set(category_tree(catalog_version()).visible_ids())
    gone = [
        line.product.name
        for line in checkout.lines
        if line.product.is_archived or line.product.category_id not in visible
    ]
    if gone:
        raise ProductUnavailable(
            _("No longer sold: %(products)s. Remove it from your cart to check out.") % {"products": ", ".join(gone)}
        )


def step_prices_unchanged(checkout: Checkout) -> None:
    if checkout.shipping not in shipping_rates():
        raise CheckoutError(_("Choose a shipping method."))
    checkout.totals = checkout_totals_for(checkout, checkout.lines)
    if checkout_quote(checkout.lines, checkout.totals) != checkout.quote:
        raise PricesChanged(
            _(
                "Your cart or its prices changed since you reviewed it. The total is now %(total)s. "
                "Please check and confirm again."
            )
            % {"total": format_money(checkout.totals.total)},
            checkout.totals,
        )


def step_stock_available(checkout: Checkout) -> None:
    short = [
        _("%(product)s (only %(count)s left)") % {"product": line.variant.full_name, "count": line.variant.stock}
        if line.variant.stock
        else _("%(product)s (sold out)") % {"product": line.variant.full_name}
        for line in checkout.lines
        if line.quantity > line.variant.stock
    ]
    if short:
        raise OutOfStock(
            _("Not enough stock: %(products)s. Change the quantities in your cart.") % {"products": ", ".join(short)}
        )
    limit = settings.CART_MAX_QUANTITY_PER_LINE
    over = [line.variant.full_name for line in checkout.lines if line.quantity > limit]
    if over:
        raise OutOfStock(
            _("At most %(limit)s of each product per order: %(products)s. Lower the quantities.")
            % {"limit": limit, "products": ", ".join(over)}
        )


def step_reserve_stock(checkout: Checkout) -> None:
    stock_reserve((line.variant_id, line.quantity) for line in checkout.lines)


def checkout_email(checkout: Checkout) -> str:
    return checkout.user.email if checkout.user is not None else checkout.email


def step_redeem_voucher(checkout: Checkout) -> None:
    """Use the voucher up once, under its row lock; a code used up meanwhile refuses the order."""
    voucher = checkout.totals.voucher
    if voucher is None:
        return
    try:
        voucher_redeem(voucher.pk, email=checkout_email(checkout), subtotal=checkout.totals.subtotal)
    except VoucherRefused as exc:
        raise CheckoutError(
            _("The code %(code)s cannot be used: %(reason)s Remove it to place the order.")
            % {"code": voucher.code, "reason": exc}
        ) from exc


def checkout_language(checkout: Checkout) -> str:
    """The order's language: the checkout's, else the active one, as a LANGUAGES code (English if unknown)."""
    try:
        return translation.get_supported_language_variant(checkout.language or translation.get_language() or "")
    except LookupError:
        return settings.LANGUAGE_CODE


def step_create_order(checkout: Checkout) -> None:
    totals, address, now = checkout.totals, checkout.address, timezone.now()
    email = checkout_email(checkout)
    if not email:
        raise CheckoutError(_("Enter your e-mail address to check out as a guest."))
    fields = dict(
        user=checkout.user,
        email=email,
        language=checkout_language(checkout),
        currency=settings.SHOP_CURRENCY,
        subtotal=totals.subtotal,
        shipping_method=totals.shipping_method,
        shipping_label=totals.shipping_label,
        shipping_cost=totals.shipping_cost,
        tax_rate=totals.tax_rate,
        tax=totals.tax,
        total=totals.total,
        prices_include_tax=totals.prices_include_tax,
        reverse_charge=totals.reverse_charge,
        reverse_charge_deduction=totals.reverse_charge_deduction,
        buyer_company=checkout.business.get("company", ""),
        buyer_vat_number=checkout.business.get("vat_number", ""),
        discount=totals.discount,
        shipping_discount=totals.shipping_discount,
        voucher_code=totals.voucher_code,
        checkout_token=checkout.token or None,
        analytics_visitor=checkout.analytics_visitor,
        reserved_until=now + settings.ORDER_RESERVATION_TTL,
        created_at=now,
        **{f"ship_{name}": address.get(name, "") for name in ADDRESS_FIELDS},
    )
    for attempt in range(5):
        try:
            with transaction.atomic():
                order = Order.objects.create(number=order_number_new(), **fields)
            break
        except IntegrityError:
            if attempt == 4 or (checkout.token and Order.objects.filter(checkout_token=checkout.token).exists()):
                raise
    OrderLine.objects.bulk_create(
        OrderLine(
            order=order,
            product=line.product,
            variant=line.variant,
            name=line.product.name,
            variant_label=line.variant.label,
            sku=line.variant.sku,
            unit_price=line.unit_price,
            quantity=line.quantity,
            line_total=line.unit_price * line.quantity,
            tax_rate=rate,
            discount=totals.line_discounts.get(line.pk, Decimal("0.00")),
        )
        for line, rate in zip(checkout.lines, totals.line_tax_rates, strict=True)
    )
    OrderTaxLine.objects.bulk_create(
        OrderTaxLine(order=order, rate=t.rate, net=t.net, tax=t.tax, gross=t.gross) for t in totals.tax_lines
    )
    invoice_create(order=order)
    OrderTransition.objects.create(
        order=order,
        from_status="",
        to_status=order.status,
        actor=f"{'user' if checkout.user else 'guest'} {email}",
        note=gettext_noop("order placed"),  # translated where shown
    )
    live_events.staff_order_placed(order)
    cart_clear(checkout.cart)
    checkout.order = order


def step_record_discounts(checkout: Checkout) -> None:
    """What the order saved, per promotion and voucher, and the voucher's redemption; the cart forgets the code."""
    totals, order = checkout.totals, checkout.order
    AppliedDiscount.objects.bulk_create(
        AppliedDiscount(order=order, promotion=a.promotion, voucher=a.voucher, label=a.label, amount=a.amount)
        for a in totals.discounts
    )
    if totals.voucher is not None:
        amount = sum((a.amount for a in totals.discounts if a.voucher is not None), Decimal("0.00"))
        redemption_record(voucher=totals.voucher, order=order, email=order.email, amount=amount)
        Cart.objects.filter(pk=checkout.cart.pk).update(voucher=None)


def step_queue_confirmation(checkout: Checkout) -> None:
    order = checkout.order
    order_mail(
        order=order,
        kind=Message.Kind.ORDER_CONFIRMATION,
        lines=[
            {"name": line.full_name, "quantity": line.quantity, "total": line.line_total} for line in order.lines.all()
        ],
        total=order.total,
        tax_lines=[
            {"rate": f"{t.rate.normalize():f}", "net": t.net, "tax": t.tax} for t in checkout.totals.tax_lines if t.tax
        ],
        prices_include_tax=order.prices_include_tax,
        reverse_charge_note=REVERSE_CHARGE_NOTE if order.reverse_charge else "",
        discount=order.discount + order.shipping_discount,
        voucher_code=order.voucher_code,
    )
    # The reservation's end: the task cancels the order then unless it is paid.
    run_after, order_id = order.reserved_until, order.pk
    transaction.on_commit(lambda: tasks.order_expire.using(run_after=run_after).enqueue(order_id), robust=True)


Step = Callable[[Checkout], None]
STEPS: tuple[Step, ...] = (
    step_cart_not_empty,
    step_products_active,
    step_prices_unchanged,
    step_stock_available,
    step_reserve_stock,
    step_redeem_voucher,
    step_create_order,
    step_record_discounts,
    step_queue_confirmation,
)


def checkout_place(checkout: Checkout, *, steps: Sequence[Step] = STEPS) -> Order:
    """Run the steps in one transaction and return the new order; raises CheckoutError (nothing kept)."""
    with transaction.atomic():
        for step in steps:
            step(checkout)
    return checkout.order
