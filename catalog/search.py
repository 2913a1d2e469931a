"""Product search: what `?q=` finds and in which order.

PostgreSQL: full text over the stored, GIN-indexed `search_vector` column (migration 0004), an exact SKU
first. A whole catalogue word is searched as a word, anything else as a prefix (results follow the
shopper while typing). A word that no product contains is
replaced by the closest word that one does (pg_trgm and Levenshtein over `catalog_search_word`), so
"lmap" finds lamps and the page offers "did you mean lamp?". SQLite: every word must appear (icontains)
in the name or description, name matches first; no typo tolerance.

Ranking by relevance is bounded: the candidates are at most SEARCH_CANDIDATES + 1 name matches and as
many of all matches (newest first) plus the exact SKU, and only those are ranked and sorted. A word in
every one of 100,000 descriptions therefore costs a few milliseconds, not a rank and sort of 100,000
rows; more than SEARCH_CANDIDATES matches are shown as "1,000+". An explicit sort (price, newest) runs
over every match instead, so the cheapest lamp really is the cheapest.
"""

import re

from django.contrib.postgres.expressions import ArraySubquery
from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector, SearchVectorField
from django.db import connection
from django.db.models import (
    BigIntegerField,
    BooleanField,
    Case,
    Expression,
    F,
    Func,
    IntegerField,
    Q,
    QuerySet,
    TextField,
    Value,
    When,
)
from django.db.models.expressions import Col, RawSQL

from catalog.models import Product

SEARCH_CONFIG = "english"
SEARCH_MAX_TERMS = 8
SEARCH_CANDIDATES = 1000

_VECTOR_COLUMN = SearchVectorField()
_VECTOR_COLUMN.set_attributes_from_name("search_vector")
_VECTOR_COLUMN.model = Product

# Each word of the query (lower case) as it is searched, in order: kept when a catalogue word starts with
# it or with its stem (or it is too short, not all letters, a stop word, or the whole query is a SKU);
# else the closest catalogue word within a small edit distance (1 up to 3 letters, 2 up to 7, then 3),
# among those sharing trigrams or the first letter; else kept.
_CORRECTED = r"""
SELECT t.n, t.term, CASE
    WHEN length(t.term) < 3 OR t.term !~ '^[[:alpha:]]+$'
        OR ts_lexize('english_stem', t.term) = '{}'::text[]
        OR EXISTS (SELECT 1 FROM catalog_product p WHERE upper(p.sku) = upper(%s))
        OR EXISTS (SELECT 1 FROM catalog_search_word w
                   WHERE w.word >= t.term AND w.word < t.term || chr(1114111))
        OR EXISTS (SELECT 1 FROM catalog_search_word w, ts_lexize('english_stem', t.term) AS s(stems)
                   WHERE w.word >= s.stems[1] AND w.word < s.stems[1] || chr(1114111))
    THEN t.term
    ELSE coalesce((
        SELECT w.word FROM catalog_search_word w
        WHERE (w.word %% t.term OR (w.word >= left(t.term, 1) AND w.word < chr(ascii(t.term) + 1)))
          AND levenshtein_less_equal(w.word, t.term, t.max_edits) <= t.max_edits
        ORDER BY levenshtein(w.word, t.term), similarity(w.word, t.term) DESC, w.word
        LIMIT 1), t.term)
    END AS word
FROM (SELECT u.term, u.n, CASE WHEN length(u.term) <= 3 THEN 1 WHEN length(u.term) <= 7 THEN 2 ELSE 3 END
      FROM unnest(%s::text[]) WITH ORDINALITY AS u(term, n)) AS t(term, n, max_edits)
"""


class _StoredVector(Expression):
    """`catalog_product.search_vector`, a column the model does not declare (PostgreSQL only)."""

    def resolve_expression(self, query=None, allow_joins=True, reuse=None, summarize=False, for_save=False):
        # A real column reference, so subqueries relabel its table alias like any other column.
        return Col(query.get_initial_alias(), _VECTOR_COLUMN)


class _AnyOf(Func):
    """`value = ANY(array)`: with the candidates' ids as an array, PostgreSQL fetches each by its primary
    key; as `IN (subquery)` it would guess the subquery's size and may scan the whole table to join it."""

    template = "%(expressions)s"
    arg_joiner = " = ANY("
    output_field = BooleanField()

    def as_sql(self, compiler, connection, **extra_context):
        sql, params = super().as_sql(compiler, connection, **extra_context)
        return f"({sql}))", params


def search_terms(q: str) -> list[str]:
    """The words of `q` that are searched: word characters only, at most SEARCH_MAX_TERMS."""
    return re.findall(r"\w+", q)[:SEARCH_MAX_TERMS]


class SearchWords:
    """The words of one search, corrected (PostgreSQL) at most once however many queries search them: a
    list page and its facet counts share one."""

    def __init__(self, q: str):
        self.q = q
        self.terms = search_terms(q)
        self.sku = q.strip()
        self._corrected: list[tuple[str, bool]] | None = None

    def corrected(self) -> list[tuple[str, bool]]:
        """Each word as it is searched, with whether it is a whole catalogue word (one query, the first time)."""
        if self._corrected is None:
            self._corrected = _corrected([t.lower() for t in self.terms], self.sku)
        return self._corrected


def product_search(queryset: QuerySet[Product], q: "str | SearchWords", ranked: bool = True) -> QuerySet[Product]:
    """Products of `queryset` matching `q`, best first when `ranked` (else for the caller to sort).

    Apply filters (category, stock, facets) to `queryset` before: the bounded candidate set is drawn from
    it. On PostgreSQL each product carries `search_suggestion`: the corrected query, if a word was. Pass
    the same SearchWords to several searches of one request to correct its words once.
    """
    words = q if isinstance(q, SearchWords) else SearchWords(q)
    terms, sku = words.terms, words.sku
    if not terms:
        return queryset.filter(sku__iexact=sku) if sku else queryset
    sku_first = Case(When(sku__iexact=sku, then=Value(1)), default=Value(0), output_field=IntegerField())
    if connection.vendor == "postgresql":
        return _postgres_search(queryset, words, sku_first, ranked)
    matches = Q()
    in_name = Q()
    for term in terms:
        matches &= Q(name__icontains=term) | Q(description__icontains=term)
        in_name &= Q(name__icontains=term)
    name_first = Case(When(in_name, then=Value(1)), default=Value(0), output_field=IntegerField())
    return (
        queryset.filter(matches | Q(sku__iexact=sku))
        .annotate(sku_match=sku_first, rank=name_first)
        .order_by("-sku_match", "-rank", "name", "pk")
    )


def _postgres_search(
    queryset: QuerySet[Product], search: SearchWords, sku_first: Case, ranked: bool
) -> QuerySet[Product]:
    terms, sku = [t.lower() for t in search.terms], search.sku
    corrected = search.corrected()
    words = [word for word, _ in corrected]
    query = _query(search)
    # Rides along on every row, so the "did you mean" link needs no query of its own.
    suggestion = Value(" ".join(words) if words != terms else None, output_field=TextField())
    if not ranked:
        # Every match, for the caller's ORDER BY; a BitmapOr of the GIN and the UPPER(sku) indexes.
        return (
            queryset.alias(search_vector=_StoredVector())
            .filter(Q(search_vector=query) | Q(sku__iexact=sku))
            .annotate(search_suggestion=suggestion)
        )
    # Name matches first (weight A ranks above B), then any matches: newest first, each capped; a
    # deterministic order, so the count and the page queries see the same candidates.
    return (
        queryset.filter(_AnyOf(F("pk"), ArraySubquery(_candidates(queryset, query, sku))))
        .annotate(
            sku_match=sku_first,
            rank=SearchRank(_StoredVector(), query),
            search_suggestion=suggestion,
        )
        .order_by("-sku_match", "-rank", "name", "pk")
    )


def _query(search: SearchWords) -> SearchQuery:
    text = " & ".join(word if whole else f"{word}:*" for word, whole in search.corrected())
    return SearchQuery(text, search_type="raw", config=SEARCH_CONFIG)


def _candidates(queryset: QuerySet[Product], query: SearchQuery, sku: str) -> QuerySet:
    """The ids a ranked search ranks: name matches first, then any matches, newest first, each capped, and
    the exact SKU; a deterministic set, so the count and the page queries see the same candidates."""
    limit = SEARCH_CANDIDATES + 1
    in_name = queryset.alias(name_vector=SearchVector("name", config=SEARCH_CONFIG)).filter(name_vector=query)
    matches = queryset.alias(search_vector=_StoredVector()).filter(search_vector=query)
    return (
        in_name.order_by("-pk")
        .values("pk")[:limit]
        .union(matches.order_by("-pk").values("pk")[:limit], queryset.filter(sku__iexact=sku).order_by().values("pk"))
    )


def search_candidates(queryset: QuerySet[Product], q: "str | SearchWords") -> QuerySet[Product]:
    """The products of `queryset` a ranked search of `q` draws its results from, unordered: what counts
    over a search (the facets) group.

    PostgreSQL: the bounded candidates, read in one query and then passed to every counting query as an
    array of ids (each would otherwise gather and cap the matches again). SQLite: every match.
    """
    words = q if isinstance(q, SearchWords) else SearchWords(q)
    if connection.vendor != "postgresql" or not words.terms:
        return product_search(queryset, words).order_by()
    ids = list(_candidates(queryset, _query(words), words.sku).values_list("pk", flat=True))
    return Product.objects.filter(id_in("pk", ids))


def id_in(field: str, ids: "list[int] | ArraySubquery") -> Func:
    """`field = ANY(ids)` (PostgreSQL), for rows fetched by those ids through an index on `field`: a list of
    ids read once, or an ArraySubquery, read first."""
    return _AnyOf(F(field), ids if isinstance(ids, ArraySubquery) else _id_array(ids))


def among_ids(field: str, ids: list[int], *, estimate: bool = False) -> Func:
    """`field` is one of `ids` (PostgreSQL), a filter on rows read otherwise (by another index, or all): the
    ids go as one array constant, which PostgreSQL hashes, so each row costs one lookup. As `(field + 0)`, so
    the planner neither estimates each id against the column's statistics (milliseconds for thousands) nor
    fetches the rows id by id; `estimate` keeps the column as it is, for a query whose joins the planner
    must size by the rows that pass."""
    if estimate:
        return _AnyOf(F(field), _id_array(ids))
    return _AnyOf(Func(F(field), template="(%(expressions)s + 0)", output_field=BigIntegerField()), _id_array(ids))


def _id_array(ids: list[int]) -> RawSQL:
    # As its text: an ArrayField value converts every id on its own, milliseconds for thousands.
    return RawSQL("%s::bigint[]", ["{" + ",".join(map(str, ids)) + "}"])


def _corrected(terms: list[str], sku: str) -> list[tuple[str, bool]]:
    """The words to search for `terms`, each with whether it is a whole catalogue word (one query).

    A whole word is searched as a word (its stem), anything else as a prefix: the planner knows how
    many rows a word matches from the column's statistics (a word in every description: read the
    newest rows and stop at the cap), while a prefix is a guess that led it to gather every match.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT c.word, EXISTS (SELECT 1 FROM catalog_search_word w WHERE w.word = c.word)"  # noqa: S608 - ours
            f" FROM ({_CORRECTED}) AS c ORDER BY c.n",
            [sku, terms],
        )
        return [(word, whole) for word, whole in cursor.fetchall()]


def search_result_count(count: int, q: str) -> str:
    """The number of results as shown: "1,000+" once a ranked search has more than SEARCH_CANDIDATES."""
    if q and count > SEARCH_CANDIDATES and connection.vendor == "postgresql":
        return f"{SEARCH_CANDIDATES:,}+"
    return str(count)
