"""Faceted navigation: filter the storefront list by availability, price, option values (size M, colour blue)
and facetable attributes (a choice: "Material: linen"; yes/no: "Dimmable: yes"), and count each value's
results given the *other* selected filters.

Within one option or attribute the values are alternatives (M or L); across them all must hold (M or L, and
blue). Option values, stock and price hold for one and the same variant. The counts cost a fixed number of
queries whatever the catalog size: one per kind of facet (categories, availability, options, attributes),
each with one conditional COUNT per selected group, and a search's candidates read once; the facet
definitions are cached per catalog version. On PostgreSQL an option condition starts from the variant–option
links by their product column (migration 0010); SQLite joins the variants.

On PostgreSQL, with two or more option or attribute groups chosen, every count keeps at least one of them:
the counts then read only the products having a value of a chosen group (one query, with the category and
availability counts), and the option and attribute counts take their ids as arrays (facets_count). The
category counts also give the list its number of results when there is no search (Facets.result_count).
"""

from dataclasses import dataclass, field, replace
from decimal import Decimal

from django.contrib.postgres.aggregates import ArrayAgg
from django.contrib.postgres.expressions import ArraySubquery
from django.core.cache import cache
from django.db import connection
from django.db.models import BigIntegerField, Count, Exists, Expression, OuterRef, Q, QuerySet, Subquery
from django.db.models.expressions import Col
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from catalog.models import (
    Attribute,
    Category,
    OptionValue,
    Product,
    ProductAttributeValue,
    ProductVariant,
)
from catalog.money import InvalidMoney, money
from catalog.search import SearchWords, among_ids, id_in, search_candidates
from shop.memo import version_memo

FACET_MAX = 50  # values a request may select; more are dropped with a notice
Through = ProductVariant.option_values.through
# A yes/no value in the URL: `b=<attribute id>-yes` or `-no`.
BOOL_WORDS = {"yes": True, "no": False}

_LINK_PRODUCT = BigIntegerField()
_LINK_PRODUCT.set_attributes_from_name("product_id")
_LINK_PRODUCT.model = Through


class _LinkProduct(Expression):
    """`catalog_productvariant_option_values.product_id`, the variant's product on its option links, a column
    the model does not declare (PostgreSQL only, kept by the triggers of migration 0010)."""

    output_field = BigIntegerField()

    def resolve_expression(self, query=None, allow_joins=True, reuse=None, summarize=False, for_save=False):
        return Col(query.get_initial_alias(), _LINK_PRODUCT)


def _denormalised() -> bool:
    """Whether the option links carry their product (PostgreSQL); SQLite joins the variants instead."""
    return connection.vendor == "postgresql"


def _links() -> QuerySet:
    """Variant–option links with `link_product` (their variant's product) on PostgreSQL."""
    return Through.objects.alias(link_product=_LinkProduct())


def bool_value(attribute_id: int, value: bool) -> str:
    return f"{attribute_id}-{'yes' if value else 'no'}"


def bool_parse(text) -> tuple[int, bool] | None:
    """`"7-yes"` → (7, True); None when it is not of that form."""
    number, _, word = str(text).strip().lower().partition("-")
    if not number.isascii() or not number.isdigit() or word not in BOOL_WORDS or not 0 < int(number) < 2**63:
        return None
    return int(number), BOOL_WORDS[word]


@dataclass
class Definitions:
    """Every option and facetable attribute with its values, and which group each value is in."""

    options: list[tuple[int, str, list[tuple[int, str]]]]  # (option id, name, [(value id, value)])
    attributes: list[tuple[int, str, list[tuple[int, str]]]]  # (attribute id, name, [(choice id, value)])
    booleans: list[tuple[int, str]] = field(default_factory=list)  # (attribute id, name) of yes/no attributes
    option_of: dict[int, int] = field(init=False)
    attribute_of: dict[int, int] = field(init=False)
    boolean_ids: frozenset[int] = field(init=False)

    def __post_init__(self) -> None:
        self.option_of = {v: o for o, _, values in self.options for v, _ in values}
        self.attribute_of = {c: a for a, _, choices in self.attributes for c, _ in choices}
        self.boolean_ids = frozenset(a for a, _ in self.booleans)


_definitions = version_memo()


def facet_definitions(version: str) -> Definitions:
    """Options and facetable attributes of every product type (two queries, none when cached), kept in the
    process per catalog version (shop.memo), which covers their rows."""
    return _definitions.get(version, lambda: _facet_definitions(version))


def _facet_definitions(version: str) -> Definitions:
    key = f"catalog:facets:v2:{version}"
    found = cache.get(key)
    if found is None:
        options: dict[int, tuple[str, list]] = {}
        for value in OptionValue.objects.select_related("option").order_by(
            "option__position", "option_id", "position", "pk"
        ):
            options.setdefault(value.option_id, (value.option.name, []))[1].append((value.pk, value.value))
        attributes: dict[int, tuple[str, list]] = {}
        booleans: list[tuple[int, str]] = []
        # Choice attributes with their choices and yes/no attributes, in one query (a choice attribute
        # without choices yet has no facet values and is left out).
        rows = (
            Attribute.objects.filter(is_facetable=True, kind__in=[Attribute.Kind.CHOICE, Attribute.Kind.BOOLEAN])
            .order_by("position", "pk", "choices__position", "choices__pk")
            .values_list("pk", "name", "kind", "choices__pk", "choices__value")
        )
        for pk, name, kind, choice_pk, choice_value in rows:
            if kind == Attribute.Kind.BOOLEAN:
                booleans.append((pk, name))
            elif choice_pk is not None:
                attributes.setdefault(pk, (name, []))[1].append((choice_pk, choice_value))
        found = Definitions(
            options=[(pk, name, vals) for pk, (name, vals) in options.items()],
            attributes=[(pk, name, vals) for pk, (name, vals) in attributes.items()],
            booleans=booleans,
        )
        cache.set(key, found, timeout=3600)
    return found


def _groups(ids: tuple[int, ...], group_of: dict[int, int]) -> dict[int, frozenset[int]]:
    out: dict[int, set[int]] = {}
    for value_id in ids:
        if value_id in group_of:
            out.setdefault(group_of[value_id], set()).add(value_id)
    return {g: frozenset(v) for g, v in out.items()}


def _bool_groups(values: tuple[str, ...], definitions: Definitions) -> dict[int, frozenset[bool]]:
    """{attribute id: the selected answers} of the yes/no values (`b`)."""
    out: dict[int, set[bool]] = {}
    for text in values:
        parsed = bool_parse(text)
        if parsed and parsed[0] in definitions.boolean_ids:
            out.setdefault(parsed[0], set()).add(parsed[1])
    return {g: frozenset(v) for g, v in out.items()}


@dataclass
class AttributeGroups:
    """The selected attribute values by attribute: choices (`a`) and yes/no answers (`b`)."""

    choices: dict[int, frozenset[int]]
    booleans: dict[int, frozenset[bool]]

    @classmethod
    def of(cls, params, definitions: Definitions) -> "AttributeGroups":
        return cls(_groups(params.a, definitions.attribute_of), _bool_groups(params.b, definitions))

    def ids(self) -> list[int]:
        return [*self.choices, *self.booleans]


def _variant_q(
    params,
    option_groups: dict[int, frozenset[int]],
    *,
    skip=None,
    in_stock=None,
    prefix: str = "",
    variant_ref: str | None = None,
    skip_group: int | None = None,
    hashed: bool = False,
) -> Q:
    """Conditions on one variant (`prefix` leads from the queried model to it, `variant_ref` names its id
    there, when not `prefix` + pk); needs `effective_price`. `skip_group`: an option group the queried
    rows already meet (links of that group's values). `hashed`: each option group as `IN (its variants)`,
    one set PostgreSQL hashes once, instead of a lookup per row (for conditions over many rows in a
    FILTER, where a correlated EXISTS would run once per row), and stock as `NOT IN (the sold-out
    variants)`: the stock is never below zero (a CheckConstraint), so in stock is not sold out, and the
    sold-out variants are one small set (`catalog_variant_sold_out`, migration 0011), where the variants in
    stock would be nearly all of them."""
    variant = variant_ref or (f"{prefix}pk" if prefix else "pk")
    q = Q()
    if params.in_stock if in_stock is None else in_stock:
        if hashed:
            q &= ~Q(**{f"{variant}__in": ProductVariant.objects.filter(stock=0).values("pk")})
        else:
            q &= Q(**{f"{prefix}stock__gt": 0})
    if params.min_price is not None:
        q &= Q(effective_price__gte=params.min_price)
    if params.max_price is not None:
        q &= Q(effective_price__lte=params.max_price)
    for option_id, value_ids in option_groups.items():
        if option_id != skip and option_id != skip_group:
            if hashed:
                links = Through.objects.filter(optionvalue_id__in=value_ids).values("productvariant_id")
                q &= Q(**{f"{variant}__in": links})
            else:
                links = Through.objects.filter(productvariant_id=OuterRef(variant), optionvalue_id__in=value_ids)
                q &= Q(Exists(links))
    return q


def _needs_variant(params, option_groups, skip=None, in_stock=None) -> bool:
    stock = params.in_stock if in_stock is None else in_stock
    groups = [g for g in option_groups if g != skip]
    return bool(stock or params.min_price is not None or params.max_price is not None or groups)


def _priced_variants(params) -> bool:
    """Whether the variant conditions read the variant's price (its own or its product's), not only its links
    and whether it is sold out."""
    return params.min_price is not None or params.max_price is not None


def _priced(queryset: QuerySet, params, prefix: str = "") -> QuerySet:
    """`queryset` with each variant's `effective_price` when a price bound needs it: the price joins the
    product, a join of every row that a filter without a price range does without."""
    if params.min_price is None and params.max_price is None:
        return queryset
    return queryset.annotate(effective_price=Coalesce(f"{prefix}price_override", f"{prefix}product__price"))


def _has_variant(
    params, option_groups, *, skip=None, in_stock=None, product_ref: str = "pk", hashed: bool = False
) -> Q:
    """The product (`product_ref` of the queried rows) has one variant meeting every variant condition (an
    empty Q when there is none).

    With an option value selected, on PostgreSQL: from the links of that option's values, by their product
    column (an index lookup), the variant itself joined only for stock or price; `hashed` then asks it as
    `IN (the products of those links)`, see _variant_q. Else from the variants, a lookup per row (a set of
    every product with a variant in stock is too large to hash).
    """
    if not _needs_variant(params, option_groups, skip, in_stock):
        return Q()
    groups = [g for g in option_groups if g != skip]
    # Hashed only when the links (and the sold-out variants) decide: a price would join every link's variant
    # and product to build the set.
    hashed = hashed and not _priced_variants(params)
    conditions = {"skip": skip, "in_stock": in_stock, "hashed": hashed}
    if groups and _denormalised():
        first = min(groups, key=lambda g: len(option_groups[g]))
        links = _priced(_links().filter(optionvalue_id__in=option_groups[first]), params, "productvariant__")
        links = links.filter(
            _variant_q(
                params,
                option_groups,
                prefix="productvariant__",
                variant_ref="productvariant_id",
                skip_group=first,
                **conditions,
            )
        )
        if hashed:
            return Q(**{f"{product_ref}__in": links.annotate(product=_LinkProduct()).values("product")})
        return Q(Exists(links.filter(link_product=OuterRef(product_ref))))
    variants = _priced(ProductVariant.objects.filter(product_id=OuterRef(product_ref)), params)
    return Q(Exists(variants.filter(_variant_q(params, option_groups, **{**conditions, "hashed": False}))))


def _attribute_q(attribute_groups: AttributeGroups, *, skip=None, product_ref: str = "pk", hashed: bool = False) -> Q:
    """The product (`product_ref`) has a selected value of every attribute group but `skip`; `hashed`: see
    _variant_q."""
    q = Q()
    selected = [(pk, Q(value_choice_id__in=choices)) for pk, choices in attribute_groups.choices.items()]
    selected += [(pk, Q(value_bool__in=answers)) for pk, answers in attribute_groups.booleans.items()]
    for attribute_id, value in selected:
        if attribute_id != skip:
            values = ProductAttributeValue.objects.filter(value, attribute_id=attribute_id)
            if hashed:
                q &= Q(**{f"{product_ref}__in": values.order_by().values("product_id")})
            else:
                q &= Q(Exists(values.filter(product_id=OuterRef(product_ref))))
    return q


def _group_products(option_groups, attribute_groups: AttributeGroups) -> list[QuerySet]:
    """For each selected option and attribute group, the ids of the products with one of its values (an index
    range each: the links by (option value, product), the attribute values by (attribute, choice))."""
    links = Through.objects.annotate(product=_LinkProduct())
    sets = [links.filter(optionvalue_id__in=values).values("product") for values in option_groups.values()]
    for attribute_id, choice_ids in attribute_groups.choices.items():
        sets.append(ProductAttributeValue.objects.filter(attribute_id=attribute_id, value_choice_id__in=choice_ids))
    for attribute_id, answers in attribute_groups.booleans.items():
        sets.append(ProductAttributeValue.objects.filter(attribute_id=attribute_id, value_bool__in=answers))
    return [qs if i < len(option_groups) else qs.order_by().values("product_id") for i, qs in enumerate(sets)]


def facets_clean(params, definitions: Definitions):
    """The params with unknown facet values dropped and too many cut, and a notice saying so."""
    notices = list(params.notices)
    o = tuple(v for v in dict.fromkeys(params.o) if v in definitions.option_of)
    a = tuple(v for v in dict.fromkeys(params.a) if v in definitions.attribute_of)
    b = tuple(v for v in dict.fromkeys(params.b) if (bool_parse(v) or (0,))[0] in definitions.boolean_ids)
    if len(o) < len(set(params.o)) or len(a) < len(set(params.a)) or len(b) < len(set(params.b)):
        notices.append(_("Some filters are unknown (perhaps since removed) and were left out."))
    if len(o) + len(a) + len(b) > FACET_MAX:
        notices.append(_("At most %(count)s filter values at once: the rest were left out.") % {"count": FACET_MAX})
        o = o[:FACET_MAX]
        a = a[: max(0, FACET_MAX - len(o))]
        b = b[: max(0, FACET_MAX - len(o) - len(a))]
    if params.impossible:
        notices.append(_("The lowest price is above the highest: no product can match. Change the price range."))
    return replace(params, o=o, a=a, b=b, notices=tuple(dict.fromkeys(notices)))


def facets_filter(queryset: QuerySet[Product], params, definitions: Definitions) -> QuerySet[Product]:
    """The products matching the facets of `params` (an impossible price range matches none)."""
    if params.impossible:
        return queryset.none()
    option_groups = _groups(params.o, definitions.option_of)
    attribute_groups = AttributeGroups.of(params, definitions)
    return queryset.filter(_attribute_q(attribute_groups)).filter(_has_variant(params, option_groups))


@dataclass
class FacetValue:
    label: str
    count: int
    selected: bool
    query: str  # the list's query string with this value toggled (page 1)


@dataclass
class FacetGroup:
    name: str
    param: str  # "o", "a" or "b"
    values: list[FacetValue]


@dataclass
class Facets:
    categories: list[tuple[Category, int, int, str, bool]]  # (category, count, depth, href, selected)
    in_stock: FacetValue | None
    groups: list[FacetGroup]
    # How many products the list shows, when the category counts tell (no search): every visible product is
    # in exactly one visible category, so it is the sum of the counts in the list's category.
    result_count: int | None = None


def facets_count(
    tree,
    params,
    category: Category | None,
    definitions: Definitions,
    *,
    category_page: bool = False,
    words: SearchWords | None = None,
) -> Facets:
    """Every facet value with the number of results it would give, all other selected filters kept.

    At most four queries (categories, availability, option values, attribute values), none for a kind of
    facet the catalog does not have, and for a search on PostgreSQL one more reading its candidates; three
    when availability is chosen (its count is then the category counts' sum) or, on PostgreSQL, two or more
    option or attribute groups are. Pass the list's `words` so a search's words are corrected once.

    With two or more groups chosen (PostgreSQL), every count keeps at least one of them, so it counts
    products with a value of a chosen group: the category query reads just those (the union of the groups'
    index ranges, far fewer than every visible product) and hands the option and attribute counts their ids
    as arrays, instead of each looking at every visible product again.
    """
    from catalog.selectors import product_visible

    option_groups = _groups(params.o, definitions.option_of)
    attribute_groups = AttributeGroups.of(params, definitions)
    visible = product_visible(tree)
    if params.q:  # PostgreSQL: the candidates read once, then counted by id in every query below
        visible = search_candidates(visible, words or params.q)
    in_category_ids = set(tree.descendant_ids(category)) if category is not None else None

    def ids(queryset: QuerySet[Product]) -> Subquery:
        return Subquery(queryset.order_by().values("pk"))

    wrap = bool(params.q) and connection.vendor != "postgresql"

    def plain(queryset: QuerySet[Product]) -> QuerySet[Product]:
        """Products to group or count: SQLite's annotated search matches by id, anything else as it is
        (wrapping it would look every product up a second time)."""
        return Product.objects.filter(pk__in=ids(queryset)) if wrap else queryset.order_by()

    impossible = params.impossible
    group_products = _group_products(option_groups, attribute_groups) if _denormalised() else []
    narrowed = len(group_products) >= 2 and not impossible
    # Categories: the products matching every filter but the category, by category. Availability: of those, the
    # ones in the list's category with a matching variant in stock (by category, or in one total: None).
    category_counts: dict[int, int] = {}
    stock_counts: dict[int | None, int] = {}
    # Narrowed: by category, the products the option counts count and those the attribute counts count.
    candidates: dict[int, tuple[list[int], list[int]]] = {}
    if not impossible:
        attributes = _attribute_q(attribute_groups, hashed=narrowed)
        variant = _has_variant(params, option_groups, hashed=narrowed)
        matching = attributes & variant
        if narrowed:
            # A variant in stock meets the other variant conditions too.
            stocked = (
                matching
                if params.in_stock
                else attributes & _has_variant(params, option_groups, in_stock=True, hashed=True)
            )
            # UNION ALL: the index lookup of `pk = ANY(...)` drops repeated ids itself.
            union = ArraySubquery(group_products[0].union(*group_products[1:], all=True))
            rows = (
                visible.filter(id_in("pk", union))
                .order_by()
                .values("category_id")
                .annotate(
                    s=Count("pk", filter=stocked),
                    # What the option counts count (the attributes hold) and the attribute counts (a variant
                    # does); the products with both match every filter.
                    with_attributes=ArrayAgg("pk", filter=attributes or None),
                    with_variant=ArrayAgg("pk", filter=variant or None),
                )
            )
            for row in rows:
                found = (row["with_attributes"] or [], row["with_variant"] or [])
                category_counts[row["category_id"]] = len(set(found[0]).intersection(found[1]))
                stock_counts[row["category_id"]] = row["s"]
                candidates[row["category_id"]] = found
        else:
            rows = plain(visible.filter(matching)).values("category_id").annotate(n=Count("pk"))
            category_counts = {row["category_id"]: row["n"] for row in rows}
            if params.in_stock:
                stock_counts = category_counts
            else:  # availability apart: over every matching product, a lookup per product would cost more
                in_category = visible if category is None else visible.filter(category_id__in=in_category_ids)
                stocked = in_category.filter(_attribute_q(attribute_groups)).filter(
                    _has_variant(params, option_groups, in_stock=True)
                )
                stock_counts = {None: plain(stocked).count()}
    categories = []
    current = category.pk if category else None
    # One pass down from the roots (reaching only visible categories): each total is its own count plus its
    # children's, the query string a category page's links share built once.
    children: dict[int | None, list[Category]] = {}
    for c in tree.categories:
        children.setdefault(c.parent_id, []).append(c)
    others = params.query(category="", page=1) if category_page else ""

    def walk(parent_id, depth) -> int:
        below = 0
        for c in children.get(parent_id, ()):
            at = len(categories)
            # category pages are their own URLs; the other filters come along
            href = f"{c.get_absolute_url()}?{others}" if category_page else f"?{params.query(category=c.slug, page=1)}"
            categories.append(None)
            total = category_counts.get(c.pk, 0) + walk(c.pk, depth + 1)
            categories[at] = (c, total, depth, href, c.pk == current)
            below += total
        return below

    walk(None, 0)

    def in_category(counts: dict[int | None, int]) -> int:
        return sum(n for pk, n in counts.items() if in_category_ids is None or pk is None or pk in in_category_ids)

    in_stock = None
    result_count = None
    if not impossible:
        count = in_category(stock_counts)
        in_stock = FacetValue(_("In stock"), count, params.in_stock, params.query(in_stock=not params.in_stock, page=1))
        if not params.q:
            result_count = in_category(category_counts)
    counted = [found for c, found in candidates.items() if in_category_ids is None or c in in_category_ids]
    with_attributes = [pk for found, _ in counted for pk in found]
    with_variant = [pk for _, found in counted for pk in found]

    groups: list[FacetGroup] = []
    if definitions.options and not impossible:
        # PostgreSQL: each link's own product column, no join of the variants unless stock or price asks.
        product = "link_product" if _denormalised() else "productvariant__product_id"
        if narrowed:
            # With a price, every row joins its variant and product: the planner then needs its estimate of the rows.
            rows = _links().filter(among_ids("link_product", with_attributes, estimate=_priced_variants(params)))
        else:
            products = ids(
                (visible if category is None else visible.filter(category_id__in=in_category_ids)).filter(
                    _attribute_q(attribute_groups)
                )
            )
            rows = (_links() if _denormalised() else Through.objects).filter(**{f"{product}__in": products})
        rows = _priced(rows, params, "productvariant__")
        refs = {"prefix": "productvariant__", "variant_ref": "productvariant_id", "hashed": narrowed}
        aggregates = {"n": Count(product, distinct=True, filter=_variant_q(params, option_groups, **refs))}
        for option_id in option_groups:
            aggregates[f"n{option_id}"] = Count(
                product, distinct=True, filter=_variant_q(params, option_groups, skip=option_id, **refs)
            )
        counts = {row["optionvalue_id"]: row for row in rows.order_by().values("optionvalue_id").annotate(**aggregates)}
        for option_id, name, values in definitions.options:
            key = f"n{option_id}" if option_id in option_groups else "n"
            group = _group(name, "o", values, counts, key, params.o, params)
            if group.values:
                groups.append(group)
    if (definitions.attributes or definitions.booleans) and not impossible:
        # Choices and yes/no answers in one GROUP BY: a choice row is keyed by its choice id, a yes/no
        # row by (attribute id, answer).
        rows = ProductAttributeValue.objects.filter(
            Q(value_choice__isnull=False) | Q(attribute_id__in=definitions.boolean_ids, value_bool__isnull=False)
        )
        if narrowed:
            rows = rows.filter(among_ids("product_id", with_variant))
        else:
            products = ids(
                (visible if category is None else visible.filter(category_id__in=in_category_ids)).filter(
                    _has_variant(params, option_groups)
                )
            )
            rows = rows.filter(product_id__in=products)
        refs = {"product_ref": "product_id", "hashed": narrowed}
        # No DISTINCT: a product has one value per attribute (catalog_attrvalue_one_per_product), so once in a
        # group of one choice or one (attribute, answer); unsorted, the groups are hashed.
        aggregates = {"n": Count("product_id", filter=_attribute_q(attribute_groups, **refs))}
        for attribute_id in attribute_groups.ids():
            aggregates[f"n{attribute_id}"] = Count(
                "product_id", filter=_attribute_q(attribute_groups, skip=attribute_id, **refs)
            )
        counts = {}
        # order_by(): the model's ordering (by attribute position) would join the attributes for nothing.
        for row in rows.order_by().values("value_choice_id", "attribute_id", "value_bool").annotate(**aggregates):
            if row["value_choice_id"] is not None:
                counts[row["value_choice_id"]] = row
            else:
                counts[bool_value(row["attribute_id"], row["value_bool"])] = row
        for attribute_id, name, choices in definitions.attributes:
            key = f"n{attribute_id}" if attribute_id in attribute_groups.choices else "n"
            group = _group(name, "a", choices, counts, key, params.a, params)
            if group.values:
                groups.append(group)
        for attribute_id, name in definitions.booleans:
            key = f"n{attribute_id}" if attribute_id in attribute_groups.booleans else "n"
            answers = [(bool_value(attribute_id, True), _("Yes")), (bool_value(attribute_id, False), _("No"))]
            group = _group(name, "b", answers, counts, key, params.b, params)
            if group.values:
                groups.append(group)
    return Facets(categories=categories, in_stock=in_stock, groups=groups, result_count=result_count)


def _group(name, param, values, counts, key, selected_ids, params) -> FacetGroup:
    out = []
    for value_id, label in values:
        count = counts.get(value_id, {}).get(key, 0)
        selected = value_id in selected_ids
        if not count and not selected:
            continue
        toggled = tuple(v for v in selected_ids if v != value_id) if selected else (*selected_ids, value_id)
        out.append(FacetValue(label, count, selected, params.query(**{param: toggled, "page": 1})))
    return FacetGroup(name, param, out)


def price_parse(text) -> tuple[Decimal | None, bool]:
    """A price bound from the query string: (amount, understood). Empty is no bound."""
    text = str(text or "").strip()
    if not text:
        return None, True
    try:
        return money(text.replace(",", ".")), True
    except InvalidMoney:
        return None, False
