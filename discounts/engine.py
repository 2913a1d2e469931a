"""What a cart saves: automatic promotions, then the voucher, as per-line amounts and a shipping discount.

Rules, in one place:
- Promotions apply by priority (higher first), each to what is left of a line after the ones before it.
- The voucher's minimum order is measured on the goods at current prices before any discount.
- A promotion that does not stack with vouchers and a voucher never apply together: the combination that
  saves the shopper more wins (on a tie, the promotions, and the voucher is not used up).
- An order-wide amount is shared among the lines in proportion to what is left of them, rounded half up
  per line, the remainder on the largest line, so the shares add up exactly. No line goes below zero.
Amounts are in the shop's entry basis, like the unit prices. Only Decimals: no float reaches money.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.money import money_round
from discounts.models import Promotion, Voucher

ZERO = Decimal("0.00")
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Applied:
    """One thing that saved money: its label, the amount (goods and shipping), and its rule."""

    label: str
    amount: Decimal
    voucher: Voucher | None = None
    promotion: Promotion | None = None
    free_shipping: bool = False


@dataclass
class Discounts:
    lines: dict[int, Decimal] = field(default_factory=dict)  # by line pk (or index when unsaved)
    shipping_discount: Decimal = ZERO
    applied: list[Applied] = field(default_factory=list)
    voucher: Voucher | None = None  # the voucher that applied, None when none did
    voucher_note: str = ""  # why a voucher the cart holds gave nothing (a better promotion)

    @property
    def goods(self) -> Decimal:
        return sum(self.lines.values(), ZERO)

    @property
    def total(self) -> Decimal:
        """All the shopper saves: goods and shipping."""
        return self.goods + self.shipping_discount


def promotions_active(now=None) -> list[Promotion]:
    """Active promotions inside their window, by priority: one query."""
    now = now or timezone.now()
    return list(
        Promotion.objects.filter(is_active=True)
        .filter(Q(valid_from__isnull=True) | Q(valid_from__lte=now))
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gt=now))
        .order_by("-priority", "id")
    )


def allocate(amount: Decimal, bases: dict[int, Decimal]) -> dict[int, Decimal]:
    """Share `amount` over `bases` in proportion, never more than a base; the shares sum to `amount`
    (capped at the sum of the bases)."""
    total = sum(bases.values(), ZERO)
    amount = min(amount, total)
    if amount <= 0 or total <= 0:
        return {key: ZERO for key in bases}
    shares = {key: min(money_round(amount * base / total), base) for key, base in bases.items()}
    left = amount - sum(shares.values(), ZERO)
    # The remainder goes to the largest line first; a share can neither pass its base nor go negative.
    for key in sorted(bases, key=lambda k: (-bases[k], str(k))):
        if left == 0:
            break
        step = min(left, bases[key] - shares[key]) if left > 0 else max(left, -shares[key])
        shares[key] += step
        left -= step
    return shares


def _key(line, index: int):
    return line.pk if getattr(line, "pk", None) is not None else index


def _in_categories(line, category_ids: Iterable[int], tree) -> bool:
    ids = set()
    for category_id in category_ids:
        category = tree.by_pk.get(category_id)
        ids.update(tree.descendant_ids(category) if category is not None else [category_id])
    return line.product.category_id in ids


def _category_tree():
    from catalog.selectors import catalog_version, category_tree

    return category_tree(catalog_version())


def _promotion_shares(promotion: Promotion, lines, keys, left: dict, tree_get) -> dict:
    kind = promotion.Kind
    if promotion.kind == kind.CATEGORY_PERCENT:
        tree = tree_get()
        return {
            key: money_round(left[key] * promotion.percent / HUNDRED)
            for line, key in zip(lines, keys, strict=True)
            if _in_categories(line, [promotion.category_id], tree)
        }
    if promotion.kind == kind.BUY_N_PAY_M:
        shares = {}
        for line, key in zip(lines, keys, strict=True):
            if line.product_id == promotion.product_id and promotion.buy_quantity:
                free_units = (line.quantity // promotion.buy_quantity) * (
                    promotion.buy_quantity - (promotion.pay_quantity or 0)
                )
                shares[key] = min(line.unit_price * free_units, left[key])
        return shares
    return {}


def discounts_for(
    lines: Sequence,
    *,
    shipping_cost: Decimal,
    voucher: Voucher | None = None,
    customer_email: str = "",
    promotions: list[Promotion] | None = None,
    tree=None,
) -> Discounts:
    """Per-line discounts, the shipping discount and what applied, for lines at their current unit prices.

    `voucher` is assumed valid for this cart (discounts.services checks its conditions, with messages);
    `customer_email` is accepted for the contract's sake: the per-customer limit is checked where the
    voucher is applied and redeemed, not here. `promotions` defaults to the active ones (one query);
    `tree` is the catalog's category tree when the caller has it (else read when a rule needs it).
    """
    if not lines:
        return Discounts()
    promotions = promotions_active() if promotions is None else promotions
    tree_cache = [tree] if tree is not None else []

    def tree_get():
        if not tree_cache:
            tree_cache.append(_category_tree())
        return tree_cache[0]

    with_all = _compute(lines, shipping_cost, promotions, voucher, tree_get)
    if voucher is None or all(p.stacks_with_vouchers for p in promotions):
        return with_all
    stacking = [p for p in promotions if p.stacks_with_vouchers]
    with_voucher = _compute(lines, shipping_cost, stacking, voucher, tree_get)
    without_voucher = _compute(lines, shipping_cost, promotions, None, tree_get)
    blocking = [a for a in without_voucher.applied if a.promotion is not None and not a.promotion.stacks_with_vouchers]
    if not blocking:  # the non-stacking promotions would not apply to this cart anyway
        return with_voucher
    if with_voucher.total > without_voucher.total:
        return with_voucher
    without_voucher.voucher_note = _(
        "Your code %(code)s saves less than “%(promotion)s”, which does not combine with codes: the promotion applies."
    ) % {"code": voucher.code, "promotion": blocking[0].label}
    return without_voucher


def _compute(lines, shipping_cost: Decimal, promotions, voucher, tree_get) -> Discounts:
    keys = [_key(line, index) for index, line in enumerate(lines)]
    left = {key: line.unit_price * line.quantity for line, key in zip(lines, keys, strict=True)}
    result = Discounts(lines={key: ZERO for key in keys})
    free_shipping_rules = []
    for promotion in promotions:
        if promotion.kind == Promotion.Kind.FREE_SHIPPING_OVER:
            free_shipping_rules.append(promotion)
            continue
        shares = _promotion_shares(promotion, lines, keys, left, tree_get)
        amount = sum(shares.values(), ZERO)
        if amount > 0:
            for key, share in shares.items():
                left[key] -= share
                result.lines[key] += share
            result.applied.append(Applied(promotion.name, amount, promotion=promotion))
    if voucher is not None:
        _apply_voucher(voucher, lines, keys, left, shipping_cost, result, tree_get)
    goods_left = sum(left.values(), ZERO)
    for promotion in free_shipping_rules:
        if result.shipping_discount == 0 and goods_left >= promotion.threshold:
            result.shipping_discount = shipping_cost
            result.applied.append(Applied(promotion.name, shipping_cost, promotion=promotion, free_shipping=True))
    return result


def _apply_voucher(voucher: Voucher, lines, keys, left: dict, shipping_cost, result: Discounts, tree_get) -> None:
    label = _("Code %(code)s") % {"code": voucher.code}
    if voucher.kind == Voucher.Kind.FREE_SHIPPING:
        result.shipping_discount = shipping_cost
        result.applied.append(Applied(label, shipping_cost, voucher=voucher, free_shipping=True))
        result.voucher = voucher
        return
    category_ids, product_ids = voucher.scope_ids()
    if category_ids or product_ids:
        tree = tree_get() if category_ids else None
        eligible = {
            key: left[key]
            for line, key in zip(lines, keys, strict=True)
            if line.product_id in product_ids or (category_ids and _in_categories(line, category_ids, tree))
        }
    else:
        eligible = dict(left)
    base = sum(eligible.values(), ZERO)
    if voucher.kind == Voucher.Kind.PERCENTAGE:
        amount = money_round(base * voucher.value / HUNDRED)
    else:
        amount = min(voucher.value, base)
    shares = allocate(amount, eligible)
    amount = sum(shares.values(), ZERO)
    for key, share in shares.items():
        left[key] -= share
        result.lines[key] += share
    result.applied.append(Applied(label, amount, voucher=voucher))
    result.voucher = voucher
