"""The cart's rules: which cart a request has, what may go in it, how much, and what blocks checkout.

Other apps call these (checkout reads `cart_summary`, the login views call `cart_merge_at_login`).
Every write runs in a transaction holding the cart row's lock (PostgreSQL; SQLite serialises writers),
touches `Cart.updated_at` (what `prune_carts` looks at) and forgets the last removed line, so "Undo"
lasts until the next change.
"""

import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import BooleanField, CharField
from django.db.models.expressions import RawSQL
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from cart.models import Cart, CartLine
from catalog.models import Product, ProductImage, ProductVariant
from catalog.money import format_money
from catalog.selectors import catalog_version, category_tree
from discounts.models import Voucher
from live import events as live_events

CART_COOKIE = "shop_cart"
TOKEN_MAX_LENGTH = Cart._meta.get_field("token").max_length


class CartError(Exception):
    """A cart change was refused; the message is for the shopper."""


class ProductUnavailable(CartError):
    """The product is archived or sold out: it cannot be added (or its quantity changed)."""


class VariantNotFound(CartError):
    """The variant asked for is not one of the product's (a stale or tampered form)."""


class InvalidQuantity(CartError):
    pass


class LineNotFound(CartError):
    """No such line in this cart (another shopper's line ids look exactly like this): a 404."""


@dataclass(frozen=True)
class LineChange:
    """What a change did: the line (None once removed), its quantity now, and what to tell the shopper.

    `delta` is how many units the change put in (+) or took out (−): what the usage statistics count.
    """

    line_id: int | None
    product: Product
    variant: ProductVariant
    quantity: int
    notice: str = ""
    delta: int = 0


@dataclass(frozen=True)
class Problem:
    """Why a line needs the shopper's attention; `blocks_checkout` until it is dealt with."""

    kind: str  # "archived" | "out_of_stock" | "not_enough_stock" | "over_limit" | "price_changed"
    message: str
    blocks_checkout: bool


@dataclass
class CartSummary:
    """The cart as the shopper sees it: totals always from the products' current prices."""

    cart: Cart | None
    lines: list[CartLine]
    subtotal: Decimal
    count: int  # units, the sum of the quantities
    problems: dict[int, list[Problem]] = field(default_factory=dict)  # by line id; empty lists left out
    checkout_blocked: bool = True  # an empty cart, or a line with a blocking problem
    category_tree: object = None  # the catalog's categories as read for the problems (None for an empty cart)

    @property
    def rows(self) -> list[tuple[CartLine, list[Problem]]]:
        return [(line, self.problems.get(line.pk, [])) for line in self.lines]


# --- Which cart ----------------------------------------------------------------------------------


def voucher_scope_annotate(carts):
    """Whether the cart's voucher has a scope (categories or products), in the cart's own query.

    Written as SQL: the same two EXISTS built as ORM subqueries took longer to compile than the whole
    query took to run, on every page that reads the cart.
    """
    quote = connection.ops.quote_name
    voucher_id = f"{quote(Cart._meta.db_table)}.{quote('voucher_id')}"
    exists = [
        f"EXISTS (SELECT 1 FROM {quote(t)} WHERE {quote(t)}.{quote('voucher_id')} = {voucher_id})"  # noqa: S608 - our tables
        for t in (Voucher.categories.through._meta.db_table, Voucher.products.through._meta.db_table)
    ]
    scoped = RawSQL(" OR ".join(exists), [], output_field=BooleanField())  # noqa: S611 - no input in it
    return carts.annotate(voucher_scoped=scoped)


def voucher_scope_known(cart: Cart | None) -> Cart | None:
    """A whole-order voucher then needs no query for its (empty) scope."""
    if cart is not None and cart.voucher_id and not getattr(cart, "voucher_scoped", True):
        cart.voucher.scope_set_empty()
    return cart


def cart_cookie_token(request: HttpRequest) -> str | None:
    """The anonymous cart token the browser sent, if it looks like one of ours."""
    token = request.COOKIES.get(CART_COOKIE, "")
    return token if 0 < len(token) <= TOKEN_MAX_LENGTH else None


def _one(carts) -> Cart | None:
    """The one cart of a unique filter, without the ORDER BY pk that `first()` adds."""
    return next(iter(carts[:1]), None)


def cart_get(request: HttpRequest, *, create: bool = False) -> Cart | None:
    """The request's cart: the user's when logged in, else the one of the anonymous cookie's token.

    With `create`, a missing cart is made; an anonymous cart's cookie is then (re)set on the response by
    `cart.middleware.CartCookieMiddleware`, which also slides its expiry. A token the browser sent that
    matches no cart is never adopted: a new cart gets a new random token.
    """
    user = getattr(request, "user", None)
    carts = voucher_scope_annotate(Cart.objects.select_related("removed_variant__product", "voucher"))
    if user is not None and user.is_authenticated:
        cart = _one(carts.filter(user=user))
        if cart is None and create:
            cart, _ = Cart.objects.get_or_create(user=user)
        cart = voucher_scope_known(cart)
        request._cart_read = cart
        return cart
    token = cart_cookie_token(request)
    cart = _one(carts.filter(token=token)) if token else None
    if cart is None and create:
        cart = Cart.objects.create(token=secrets.token_urlsafe(32))
    if cart is not None and create:
        request.cart_cookie = cart.token
    cart = voucher_scope_known(cart)
    # The badge (cart.selectors.cart_quantities) counts from this cart's lines once they are loaded.
    request._cart_read = cart
    return cart


def _primary_thumbnail() -> RawSQL:
    """The line's product's primary thumbnail (the first by id), as SQL: as an ORM Subquery it took longer to
    compile than to run."""
    quote = connection.ops.quote_name
    image, line = quote(ProductImage._meta.db_table), quote(CartLine._meta.db_table)
    sql = (
        f"SELECT {image}.{quote('thumbnail')} FROM {image}"  # noqa: S608 - our tables
        f" WHERE {image}.{quote('product_id')} = {line}.{quote('product_id')} AND {image}.{quote('is_primary')}"
        f" ORDER BY {image}.{quote('id')} LIMIT 1"
    )
    return RawSQL(sql, [], output_field=CharField())  # noqa: S611 - no input in it


def cart_lines(cart: Cart | None, *, images: bool = False) -> list[CartLine]:
    """The cart's lines with their variants and products, with `images` each product's primary thumbnail
    as `product.primary_images` (one query either way)."""
    if cart is None:
        return []
    queryset = CartLine.objects.filter(cart=cart).select_related("product", "variant").order_by("created_at", "pk")
    if images:
        queryset = queryset.annotate(primary_thumbnail=_primary_thumbnail())
    lines = list(queryset)
    for line in lines:
        line.variant.product = line.product  # the same row: variant names and prices need no query
        if images:
            thumbnail = line.primary_thumbnail
            line.product.primary_images = [ProductImage(product=line.product, thumbnail=thumbnail)] if thumbnail else []
    cart._lines = lines  # what the badge counts, without a query of its own
    return lines


def _shown_category_ids() -> set[int]:
    """Categories the storefront shows: a product outside them is not sold, like an archived one.

    The catalog's category tree, cached per catalog version: one query (the version) when warm.
    """
    return set(category_tree(catalog_version()).visible_ids())


def line_max(variant: ProductVariant) -> int:
    """The most of a variant one line may hold: 0 when it cannot be bought at all (needs `product` loaded)."""
    if variant.product.is_archived:
        return 0
    return max(0, min(variant.stock, settings.CART_MAX_QUANTITY_PER_LINE))


def line_problems(line: CartLine, *, shown_categories: set[int] | None = None) -> list[Problem]:
    """What is wrong with a line now (the product may have changed since it was added).

    With `shown_categories`, a product in a category the storefront hides counts as archived.
    """
    product, variant = line.product, line.variant
    problems = []
    if product.is_archived or (shown_categories is not None and product.category_id not in shown_categories):
        problems.append(Problem("archived", _("This product is no longer sold. Remove it to check out."), True))
    elif variant.stock == 0:
        problems.append(Problem("out_of_stock", _("Sold out. Remove it to check out."), True))
    elif line.quantity > variant.stock:
        problems.append(
            Problem(
                "not_enough_stock",
                _("Only %(count)s left. Lower the quantity to check out.") % {"count": variant.stock},
                True,
            )
        )
    elif line.quantity > settings.CART_MAX_QUANTITY_PER_LINE:
        limit = settings.CART_MAX_QUANTITY_PER_LINE
        message = _("At most %(limit)s per order. Lower the quantity to check out.") % {"limit": limit}
        problems.append(Problem("over_limit", message, True))
    if line.price_changed:
        was, now = (format_money(price, settings.SHOP_CURRENCY) for price in (line.price_seen, line.unit_price))
        message = _("The price changed from %(was)s to %(now)s since you added it.") % {"was": was, "now": now}
        problems.append(Problem("price_changed", message, False))
    return problems


def cart_summary(cart: Cart | None, *, images: bool = False) -> CartSummary:
    """Lines, subtotal (current prices), unit count and per-line problems.

    Queries: the lines (+ images), and the catalog version (+ the categories when the catalog cache is cold).
    """
    lines = cart_lines(cart, images=images)
    tree = category_tree(catalog_version()) if lines else None
    shown = set(tree.visible_ids()) if tree is not None else set()
    problems = {line.pk: found for line in lines if (found := line_problems(line, shown_categories=shown))}
    blocked = not lines or any(p.blocks_checkout for found in problems.values() for p in found)
    return CartSummary(
        cart=cart,
        lines=lines,
        subtotal=sum((line.total for line in lines), Decimal("0.00")),
        count=sum(line.quantity for line in lines),
        problems=problems,
        checkout_blocked=blocked,
        category_tree=tree,
    )


# --- Changes -------------------------------------------------------------------------------------


def _cap(variant: ProductVariant, wanted: int) -> tuple[int, str]:
    """`wanted` capped to what one line may hold, and the message saying so when it was capped."""
    limit = line_max(variant)
    if wanted <= limit:
        return wanted, ""
    name = variant_name(variant)
    if limit == variant.stock:
        message = _("Only %(limit)s of “%(name)s” in stock: your cart has %(limit)s.")
        return limit, message % {"limit": limit, "name": name}
    return limit, _("At most %(limit)s of “%(name)s” per order: your cart has %(limit)s.") % {
        "limit": limit,
        "name": name,
    }


def variant_name(variant: ProductVariant) -> str:
    """The product's name with the variant's options, "T-shirt (M / Blue)" (needs `product` loaded)."""
    return variant.full_name


def _lock(cart: Cart) -> None:
    """Serialise changes to one cart (two tabs, a double click): the cart row's lock until commit."""
    Cart.objects.select_for_update().filter(pk=cart.pk).values_list("pk").first()


def _touch(cart: Cart, *, removed: CartLine | None = None) -> None:
    """The cart changed: slide `updated_at`; remember `removed` for Undo, or forget the last removed line."""
    cart.removed_variant = removed.variant if removed else None
    cart.removed_quantity = removed.quantity if removed else None
    cart.removed_price_seen = removed.price_seen if removed else None
    cart.updated_at = timezone.now()
    Cart.objects.filter(pk=cart.pk).update(
        removed_variant=cart.removed_variant,
        removed_quantity=cart.removed_quantity,
        removed_price_seen=cart.removed_price_seen,
        updated_at=cart.updated_at,
    )
    live_events.cart_changed(cart.user_id)


def _own_line(cart: Cart, line_id: int) -> CartLine:
    try:
        line = CartLine.objects.select_related("product", "variant").get(pk=line_id, cart=cart)
    except (CartLine.DoesNotExist, ValueError, TypeError):
        raise LineNotFound(_("That item is not in your cart.")) from None
    line.variant.product = line.product
    return line


def variant_for(product: Product, variant_id: int | None) -> ProductVariant:
    """The variant of `product` a form names; without a name, its only variant.

    Raises VariantNotFound for another product's variant, an unknown id, or no choice where one is needed.
    """
    variants = ProductVariant.objects.filter(product_id=product.pk)
    if variant_id is None:
        found = list(variants[:2])
        if len(found) != 1:
            raise VariantNotFound(_("Choose the options of “%(name)s” first.") % {"name": product.name})
        return found[0]
    variant = variants.filter(pk=variant_id).first()
    if variant is None:
        raise VariantNotFound(
            _("That choice is not one of “%(name)s”’s: choose its options again.") % {"name": product.name}
        )
    return variant


@transaction.atomic
def line_add(cart: Cart, variant: ProductVariant, quantity: int) -> LineChange:
    """Put `quantity` more of a variant in the cart (capped, with a notice). Refuses archived or sold-out ones.

    The returned change's `line_id` is the line's id.
    """
    if quantity < 1:
        raise InvalidQuantity(_("Choose a quantity of 1 or more."))
    _lock(cart)
    variant = ProductVariant.objects.select_related("product").get(pk=variant.pk)  # stock and price as they are now
    product = variant.product
    if product.is_archived or product.category_id not in _shown_category_ids():
        raise ProductUnavailable(_("“%(name)s” is no longer sold.") % {"name": product.name})
    if line_max(variant) < 1:
        raise ProductUnavailable(_("“%(name)s” is sold out.") % {"name": variant_name(variant)})
    line = CartLine.objects.filter(cart=cart, variant=variant).first()
    before = line.quantity if line else 0
    new_quantity, notice = _cap(variant, quantity + before)
    if line is None:
        line = CartLine.objects.create(
            cart=cart, product=product, variant=variant, quantity=new_quantity, price_seen=variant.current_price
        )
    else:
        line.quantity, line.price_seen = new_quantity, variant.current_price
        line.save(update_fields=["quantity", "price_seen", "updated_at"])
    _touch(cart)
    return LineChange(line.pk, product, variant, new_quantity, notice, delta=new_quantity - before)


@transaction.atomic
def line_set_quantity(cart: Cart, line_id: int, quantity: int) -> LineChange:
    """Set a line's quantity (capped, with a notice); 0 removes it (Undo can put it back).

    The shopper sees the current price while doing this, so it becomes the price they have seen.
    """
    if quantity < 0:
        raise InvalidQuantity(_("Choose a quantity of 0 (to remove) or more."))
    _lock(cart)
    line = _own_line(cart, line_id)
    if quantity == 0:
        _remove(cart, line)
        return LineChange(None, line.product, line.variant, 0, delta=-line.quantity)
    if line_max(line.variant) < 1 or line.product.category_id not in _shown_category_ids():
        raise ProductUnavailable(
            _("“%(name)s” can no longer be bought: remove it from your cart.") % {"name": variant_name(line.variant)}
        )
    new_quantity, notice = _cap(line.variant, quantity)
    before = line.quantity
    line.quantity, line.price_seen = new_quantity, line.unit_price
    line.save(update_fields=["quantity", "price_seen", "updated_at"])
    _touch(cart)
    return LineChange(line.pk, line.product, line.variant, new_quantity, notice, delta=new_quantity - before)


@transaction.atomic
def line_remove(cart: Cart, line_id: int) -> LineChange:
    """Remove a line; until the next change, `line_restore` puts it back."""
    _lock(cart)
    line = _own_line(cart, line_id)
    _remove(cart, line)
    return LineChange(None, line.product, line.variant, 0, delta=-line.quantity)


def _remove(cart: Cart, line: CartLine) -> None:
    line.delete()
    _touch(cart, removed=line)


@transaction.atomic
def line_restore(cart: Cart) -> LineChange | None:
    """Undo the last removal (as the line was), if nothing changed in the cart since. None: nothing to undo."""
    _lock(cart)
    cart.refresh_from_db(fields=["removed_variant", "removed_quantity", "removed_price_seen"])
    variant, quantity = cart.removed_variant, cart.removed_quantity
    if variant is None or not quantity:
        return None
    product = variant.product
    line, _ = CartLine.objects.update_or_create(
        cart=cart,
        variant=variant,
        defaults={"product": product, "quantity": quantity, "price_seen": cart.removed_price_seen},
    )
    _touch(cart)
    notice = f"“{variant_name(variant)}” is back in your cart."
    return LineChange(line.pk, product, variant, quantity, notice, delta=quantity)


@transaction.atomic
def line_accept_price(cart: Cart, line_id: int) -> LineChange:
    """The shopper has seen the line's new price: stop pointing it out."""
    _lock(cart)
    line = _own_line(cart, line_id)
    line.price_seen = line.unit_price
    line.save(update_fields=["price_seen", "updated_at"])
    _touch(cart)
    return LineChange(line.pk, line.product, line.variant, line.quantity)


@transaction.atomic
def cart_clear(cart: Cart) -> list[CartLine]:
    """Empty the cart (checkout calls this once the order is placed). Returns the lines that went.

    They are read under the cart's lock, so they are exactly what was deleted (product and variant id, quantity).
    """
    _lock(cart)
    lines = list(
        CartLine.objects.filter(cart=cart)
        .only("pk", "product_id", "variant_id", "quantity")
        .order_by("created_at", "pk")
    )
    CartLine.objects.filter(cart=cart).delete()
    _touch(cart)
    return lines


@transaction.atomic
def cart_merge_at_login(request: HttpRequest, user) -> list[str]:
    """Move the anonymous cart (the request's cookie) into `user`'s cart and drop the cookie.

    Quantities of the same product add up, capped like any change; the returned messages say what was
    capped. Lines of products that can no longer be bought move as they are (the cart shows why).
    Call it right after `login()`.
    """
    token = cart_cookie_token(request)
    if token is None:
        return []
    request.cart_cookie = ""  # the middleware deletes the cookie: the user's cart takes over
    anonymous = Cart.objects.select_for_update().filter(token=token).first()
    if anonymous is None:
        return []
    # get_or_create, not "adopt the anonymous cart": two logins of a new user at the same moment (two
    # devices) would both adopt theirs and break the one-cart-per-user constraint. The loser of the
    # INSERT race reads the winner's cart; the lock then serialises the two merges.
    target, _ = Cart.objects.get_or_create(user=user)
    target = Cart.objects.select_for_update().get(pk=target.pk)
    incoming = list(anonymous.lines.select_related("variant__product"))
    mine = {line.variant_id: line for line in target.lines.select_related("variant__product")}
    notices, changed, created = [], [], []
    for line in incoming:
        existing = mine.get(line.variant_id)
        if existing is None:
            created.append(
                CartLine(
                    cart=target,
                    product_id=line.product_id,
                    variant=line.variant,
                    quantity=line.quantity,
                    price_seen=line.price_seen,
                )
            )
        else:
            existing.quantity += line.quantity
            changed.append(existing)
    for line in [*mine.values(), *created]:
        if line_max(line.variant) >= 1:
            capped, notice = _cap(line.variant, line.quantity)
            if notice:
                line.quantity = capped
                notices.append(notice)
                if line.pk and line not in changed:
                    changed.append(line)
    anonymous.delete()
    CartLine.objects.bulk_create(created)
    CartLine.objects.bulk_update(changed, ["quantity"])
    _touch(target)
    return notices


# --- Housekeeping --------------------------------------------------------------------------------


def carts_prune(*, older_than: timedelta, batch_size: int = 1000) -> int:
    """Delete anonymous carts not changed for `older_than`, in batches. Returns how many went."""
    cutoff = timezone.now() - older_than
    stale = Cart.objects.filter(user__isnull=True, updated_at__lt=cutoff)
    total = 0
    while True:
        with transaction.atomic():
            # Locked like any change, so a shopper adding to a cart right now is not cut short.
            ids = list(stale.select_for_update().values_list("pk", flat=True)[:batch_size])
            if not ids:
                return total
            CartLine.objects.filter(cart_id__in=ids).delete()
            Cart.objects.filter(pk__in=ids).delete()
            total += len(ids)
