"""Input validation for the storefront list: bad values fall back to defaults, never an error page."""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.facets import FACET_MAX, bool_parse, bool_value, price_parse
from catalog.selectors import DEFAULT_SORT, SORTS, ProductListParams
from shop.widgets import SelectFast

Q_MAX_LENGTH = 100
PER_PAGE_DEFAULT = 20
PER_PAGE_CHOICES = (20, 40, 100)
PER_PAGE_MIN, PER_PAGE_MAX = 1, 100
SORT_CHOICES = [
    ("name", gettext_lazy("Name")),
    ("price", gettext_lazy("Price: low to high")),
    ("-price", gettext_lazy("Price: high to low")),
    ("newest", gettext_lazy("Newest")),
]


class ProductListForm(forms.Form):
    """The filter form shown above the list; also parses the query string."""

    q = forms.CharField(label=gettext_lazy("Search"), required=False, widget=forms.SearchInput)
    # SelectFast: the same markup as forms.Select without a template per option (shop/widgets.py).
    category = forms.ChoiceField(label=gettext_lazy("Category"), required=False, widget=SelectFast)
    sort = forms.ChoiceField(label=gettext_lazy("Sort by"), choices=SORT_CHOICES, required=False, widget=SelectFast)
    in_stock = forms.BooleanField(label=gettext_lazy("In stock only"), required=False)
    per_page = forms.TypedChoiceField(
        label=gettext_lazy("Per page"),
        choices=[(n, n) for n in PER_PAGE_CHOICES],
        coerce=int,
        required=False,
        widget=SelectFast,
    )

    def __init__(self, data, *, category_options: list[tuple[str, str]], **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(data, **kwargs)
        self.fields["category"].choices = [("", _("All categories")), *category_options]
        self.fields["q"].widget.attrs.update({"maxlength": Q_MAX_LENGTH, "autocomplete": "off"})

    @classmethod
    def for_params(cls, params: ProductListParams, category_options: list[tuple[str, str]]) -> "ProductListForm":
        """The form showing the cleaned values (not the raw ones) of a request."""
        data = {
            "q": params.q,
            "category": params.category,
            "sort": params.sort,
            "per_page": str(params.per_page),
            **({"in_stock": "on"} if params.in_stock else {}),
        }
        form = cls(data, category_options=category_options)
        if params.per_page not in PER_PAGE_CHOICES:
            form.fields["per_page"].choices = sorted(
                {*form.fields["per_page"].choices, (params.per_page, params.per_page)}
            )
        return form


def list_params(data, category_slugs: set[str]) -> ProductListParams:
    """The list's query from a query string; each unusable value is replaced by its default or clamped."""
    # Control characters (NUL among them, which PostgreSQL refuses) carry no meaning in a search.
    printable = "".join(ch if ch.isprintable() else " " for ch in str(data.get("q", ""))[: Q_MAX_LENGTH * 10])
    q = " ".join(printable.split())[:Q_MAX_LENGTH]
    category = str(data.get("category", ""))
    if category not in category_slugs:
        category = ""
    sort = str(data.get("sort", DEFAULT_SORT))
    if sort not in SORTS:
        sort = DEFAULT_SORT
    in_stock = str(data.get("in_stock", "")).lower() in ("1", "on", "true", "yes")
    per_page = min(max(_int(data.get("per_page"), PER_PAGE_DEFAULT), PER_PAGE_MIN), PER_PAGE_MAX)
    page = max(_int(data.get("page"), 1), 1)
    notices = []
    o, o_bad = _ids(data, "o")
    a, a_bad = _ids(data, "a")
    b, b_bad = _bools(data, "b")
    min_price, min_ok = price_parse(data.get("min_price"))
    max_price, max_ok = price_parse(data.get("max_price"))
    if o_bad or a_bad or b_bad or not (min_ok and max_ok):
        notices.append(_("Some filters could not be read and were left out."))
    return ProductListParams(
        q=q,
        category=category,
        sort=sort,
        in_stock=in_stock,
        per_page=per_page,
        page=page,
        o=o,
        a=a,
        b=b,
        min_price=min_price,
        max_price=max_price,
        notices=tuple(notices),
    )


def _ids(data, name: str) -> tuple[tuple[int, ...], bool]:
    """Repeated whole-number ids (`?o=3&o=7`): the first FACET_MAX * 2 read, duplicates dropped; True when
    some were not ids."""
    raw = _list(data, name)
    ids, bad = [], False
    for item in raw[: FACET_MAX * 2]:
        number = _int(item, 0)
        if 0 < number < 2**63:
            ids.append(number)
        else:
            bad = True
    return tuple(sorted(set(ids))), bad or len(raw) > FACET_MAX * 2


def _bools(data, name: str) -> tuple[tuple[str, ...], bool]:
    """Repeated yes/no values (`?b=7-yes&b=9-no`), written the one way (`7-yes`), like `_ids`."""
    values, bad = [], False
    raw = _list(data, name)
    for item in raw[: FACET_MAX * 2]:
        parsed = bool_parse(item)
        if parsed:
            values.append(bool_value(*parsed))
        else:
            bad = True
    return tuple(sorted(set(values))), bad or len(raw) > FACET_MAX * 2


def _list(data, name: str) -> list:
    raw = data.getlist(name) if hasattr(data, "getlist") else data.get(name) or []
    return [raw] if isinstance(raw, (str, int)) else list(raw)


def _int(value, default: int) -> int:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return default
