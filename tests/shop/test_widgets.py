"""SelectFast writes the markup Django's Select renders through templates, option for option."""

from html.parser import HTMLParser

import pytest
from django import forms

from accounts.forms import AddressForm
from shop.widgets import SelectFast


class Tags(HTMLParser):
    """The start tags (with sorted attributes), end tags and text of a fragment, whitespace ignored."""

    def __init__(self, html: str):
        super().__init__()
        self.items: list = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.items.append(("start", tag, tuple(sorted(attrs))))

    def handle_endtag(self, tag):
        self.items.append(("end", tag))

    def handle_data(self, data):
        if data.strip():
            self.items.append(("text", data.strip()))


CHOICES = [
    ("", "Choose one"),
    ("a", "Alpha & <Omega>"),
    ('Group "one"', [("b", "Beta"), ("c", 'Gamma "quoted"')]),
    ("d", "Delta"),
    (5, "Five"),
]


@pytest.mark.parametrize("value", [None, "", "a", "c", 5, "5", "unknown"])
@pytest.mark.parametrize("attrs", [{}, {"id": "id_x", "required": True, "autocomplete": "country", "class": "a b"}])
def test_the_markup_is_that_of_djangos_select(value, attrs):
    expected = forms.Select(choices=CHOICES).render("pick", value, attrs=dict(attrs))
    actual = SelectFast(choices=CHOICES).render("pick", value, attrs=dict(attrs))
    assert Tags(actual).items == Tags(expected).items


def test_the_address_forms_country_select_marks_the_chosen_country():
    html = str(AddressForm(initial={"country": "AT"})["country"])
    tags = Tags(html).items
    assert ("start", "option", (("selected", None), ("value", "AT"))) in tags
    assert sum(1 for t in tags if t[0] == "start" and t[1] == "option") >= 240
    assert html == str(AddressForm(initial={"country": "AT"})["country"])  # nothing cached across forms


def test_the_address_forms_select_still_validates_like_a_choice_field():
    form = AddressForm(data={"name": "A", "line1": "B 1", "city": "C", "postcode": "1010", "country": "XX"})
    assert not form.is_valid()
    assert form.errors["country"] == ["We do not ship to that country. Choose one from the list."]


@pytest.mark.parametrize("choices", [CHOICES, CHOICES[1:]])
def test_a_cached_select_asks_for_required_like_djangos(choices):
    for initial in (None, "a"):
        assert SelectFast(choices=choices, cache_key=f"test-{len(choices)}").use_required_attribute(
            initial
        ) == forms.Select(choices=choices).use_required_attribute(initial)
