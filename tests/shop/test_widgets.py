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


# --- FastFormRenderer: the same characters as Django's templates --------------------------------------


class EveryWidgetForm(forms.Form):
    """Every widget and field-template branch the fast renderer writes itself, with markup-breaking text."""

    required_css_class = "required"
    error_css_class = "has-error"

    text = forms.CharField(label='Name & "nick"', max_length=20, help_text="<b>help</b> stays markup")
    email = forms.EmailField(required=False, widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    number = forms.IntegerField(required=False, min_value=1)
    secret = forms.CharField(required=False, widget=forms.PasswordInput)
    agree = forms.BooleanField(label="I agree?", required=False)
    kind = forms.ChoiceField(
        choices=[("a", "Alpha <1>"), ("Group 'g'", [("b", "Beta"), ("c", "Gamma")])], widget=forms.RadioSelect
    )
    many = forms.MultipleChoiceField(choices=[("x", "X"), ("y", "Y")], widget=forms.CheckboxSelectMultiple)
    when = forms.DateField(required=False)
    url = forms.URLField(required=False, label="", assume_scheme="https")
    token = forms.CharField(widget=forms.HiddenInput, required=False)
    note = forms.CharField(required=False, widget=forms.Textarea)  # not written by the renderer: Django's

    def clean(self):
        data = super().clean()
        if data.get("text") == "clash":
            raise forms.ValidationError("Both <wrong>.")
        if data.get("token") == "bad":
            self.add_error("token", "Hidden & broken")
        return data


class HiddenOnlyForm(forms.Form):
    key = forms.CharField(widget=forms.HiddenInput)


def _both(make):
    """The form's HTML through Django's renderer and through the fast one."""
    from django.forms.renderers import DjangoTemplates

    from shop.widgets import fast_form_renderer

    return str(make(DjangoTemplates())), str(make(fast_form_renderer))


EVERY_WIDGET_DATA = [
    None,
    {},
    {"text": "clash", "kind": "b", "many": ["x", "y"], "agree": "on", "token": "bad", "number": "0"},
    {"text": 'x"<y>', "email": "not-mail", "kind": "zz", "when": "2026-12-04", "url": "https://e.org/?a=1&b=2"},
]


@pytest.mark.parametrize("data", EVERY_WIDGET_DATA)
def test_the_fast_renderer_writes_what_djangos_templates_write(data):
    django_html, fast_html = _both(lambda renderer: EveryWidgetForm(data, renderer=renderer, initial={"kind": "c"}))
    assert fast_html == django_html


@pytest.mark.parametrize("data", [None, {}, {"key": "k"}])
def test_a_form_of_hidden_fields_only_renders_alike(data):
    django_html, fast_html = _both(lambda renderer: HiddenOnlyForm(data, renderer=renderer))
    assert fast_html == django_html


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data",
    [
        None,
        {},
        {"address": "new", "new-name": "A <B>", "new-country": "DE", "new-postcode": "1", "business-vat_number": "x"},
    ],
)
def test_the_checkout_forms_render_alike(data):
    from accounts.models import Address
    from orders.forms import AddressChoiceForm, BusinessForm, GuestForm, NewAddressForm, PayForm, ShippingForm

    addresses = [Address(pk=7, name="Ann & Co", line1="1 Road", city="Berlin", postcode="10115", country="DE")]
    makers = [
        lambda r: AddressChoiceForm(data, addresses=addresses, initial={"address": "7"}, renderer=r),
        lambda r: NewAddressForm(data, initial={"country": "AT"}, renderer=r),
        lambda r: NewAddressForm(data, bookable=False, renderer=r),
        lambda r: BusinessForm(data, renderer=r),
        lambda r: GuestForm(data, renderer=r),
        lambda r: ShippingForm(data, initial={"method": "standard"}, renderer=r),
        lambda r: PayForm(data, initial={"key": "k"}, renderer=r),
    ]
    for make in makers:
        django_html, fast_html = _both(make)
        assert fast_html == django_html


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/accounts/login/", "/accounts/register/", "/products/"])
def test_every_form_renders_without_djangos_form_templates_by_default(client, path):
    """FORM_RENDERER is the fast renderer: the login, registration and filter forms use none of Django's
    small form templates (the markup is the same: the tests above)."""
    response = client.get(path)

    assert response.status_code == 200
    assert not [t.name for t in response.templates if t.name and t.name.startswith("django/forms/")]
