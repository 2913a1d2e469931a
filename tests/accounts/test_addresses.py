import pytest
from django.db import IntegrityError, transaction

from accounts import services
from accounts.models import Address
from tests.budgets import CHROME

DATA = {
    "name": "Sam Shopper",
    "line1": "1 High Street",
    "line2": "",
    "city": "Berlin",
    "postcode": "10115",
    "country": "DE",
    "phone": "",
}


def add(user, **overrides):
    return services.address_create(user=user, data={**DATA, **overrides})


@pytest.fixture
def logged_in(client, user):
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_the_first_address_becomes_the_default_and_later_ones_do_not(user):
    first = add(user)
    second = add(user, line1="2 Low Road")
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.is_default
    assert not second.is_default


@pytest.mark.django_db
def test_the_database_allows_one_default_per_user(user, django_user_model):
    add(user)
    with pytest.raises(IntegrityError), transaction.atomic():
        Address.objects.create(user=user, is_default=True, **DATA)
    other = django_user_model.objects.create_user("o@example.org", "pw-pw-pw-pw-pw")
    assert add(other).is_default


@pytest.mark.django_db
def test_add_without_js_redirects_to_the_profile(logged_in, user):
    response = logged_in.post("/accounts/addresses/new/", DATA)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/profile/#addresses"
    assert Address.objects.get(user=user).city == "Berlin"


@pytest.mark.django_db
def test_add_over_htmx_returns_the_address_book_fragment(logged_in, user):
    response = logged_in.post("/accounts/addresses/new/", DATA, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="addresses"')
    assert "<html" not in response.text
    assert "1 High Street" in response.text
    assert "HX-Request" in response["Vary"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"city": ""}, "This field is required."),
        ({"country": "XX"}, "We do not ship to that country."),
        ({"postcode": "ABC 12"}, "This is not a postcode of that country (for example 10115)."),
        ({"postcode": ""}, "Enter the postcode (for example 10115)."),
        ({"phone": "12"}, "This is not a phone number"),
        ({"line1": "x" * 10_000}, "Ensure this value has at most 200 characters"),
    ],
)
@pytest.mark.django_db
def test_bad_address_input_shows_errors_and_keeps_what_was_typed(logged_in, user, overrides, message):
    add(user, line1="Already saved 9")
    for extra in ({}, {"HTTP_HX_REQUEST": "true"}):
        response = logged_in.post("/accounts/addresses/new/", {**DATA, **overrides}, **extra)
        assert response.status_code == 200
        assert message in response.text
        assert 'value="Sam Shopper"' in response.text
        assert "Already saved 9" in response.text
    assert Address.objects.count() == 1


@pytest.mark.django_db
def test_edit_over_htmx_swaps_the_form_in_then_the_card_back(logged_in, user):
    address = add(user)
    form = logged_in.get(f"/accounts/addresses/{address.pk}/edit/", HTTP_HX_REQUEST="true")
    assert form.text.lstrip().startswith(f'<li id="address-{address.pk}"')
    assert "<form" in form.text
    assert "<html" not in form.text

    saved = logged_in.post(
        f"/accounts/addresses/{address.pk}/edit/", {**DATA, "city": "Hamburg"}, HTTP_HX_REQUEST="true"
    )
    assert saved.text.lstrip().startswith(f'<li id="address-{address.pk}"')
    assert "Hamburg" in saved.text
    assert 'name="city"' not in saved.text
    address.refresh_from_db()
    assert address.city == "Hamburg"


@pytest.mark.django_db
def test_edit_without_js_is_a_page_and_errors_keep_the_saved_address(logged_in, user):
    address = add(user)
    page = logged_in.get(f"/accounts/addresses/{address.pk}/edit/")
    assert "<html" in page.text
    assert "<h1>Edit address</h1>" in page.text
    bad = logged_in.post(f"/accounts/addresses/{address.pk}/edit/", {**DATA, "postcode": ""})
    assert bad.status_code == 200
    assert "Enter the postcode (for example 10115)." in bad.text
    address.refresh_from_db()
    assert address.postcode == "10115"
    good = logged_in.post(f"/accounts/addresses/{address.pk}/edit/", {**DATA, "postcode": "20095"})
    assert good.status_code == 302


@pytest.mark.django_db
def test_set_default_moves_the_default(logged_in, user):
    first, second = add(user), add(user, line1="2 Low Road")
    response = logged_in.post(f"/accounts/addresses/{second.pk}/default/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    first.refresh_from_db()
    second.refresh_from_db()
    assert second.is_default
    assert not first.is_default


@pytest.mark.django_db
def test_deleting_the_default_promotes_the_oldest_remaining(logged_in, user):
    first, second = add(user), add(user, line1="2 Low Road")
    response = logged_in.post(f"/accounts/addresses/{first.pk}/delete/")
    assert response.status_code == 302
    second.refresh_from_db()
    assert second.is_default
    assert not Address.objects.filter(pk=first.pk).exists()


@pytest.mark.django_db
def test_someone_elses_address_is_not_found(logged_in, django_user_model):
    other = django_user_model.objects.create_user("o@example.org", "pw-pw-pw-pw-pw")
    theirs = add(other)
    assert logged_in.get(f"/accounts/addresses/{theirs.pk}/edit/").status_code == 404
    assert logged_in.post(f"/accounts/addresses/{theirs.pk}/delete/").status_code == 404
    assert logged_in.post(f"/accounts/addresses/{theirs.pk}/default/").status_code == 404
    assert Address.objects.filter(pk=theirs.pk).exists()


@pytest.mark.django_db
def test_address_changes_need_post(logged_in, user):
    address = add(user)
    assert logged_in.get(f"/accounts/addresses/{address.pk}/delete/").status_code == 405


@pytest.mark.django_db
def test_profile_page_queries_do_not_grow_with_addresses(logged_in, user, django_assert_num_queries, settings):
    settings.SESSION_ENGINE = "accounts.sessions.db"  # counts below are for the database engine
    for i in range(5):
        add(user, line1=f"{i} Street")
    # session, user, the confirmation link waiting (if any), the latest data export, addresses, the cart badge
    with django_assert_num_queries(6 + CHROME):
        response = logged_in.get("/accounts/profile/")
    assert response.text.count('class="address-card"') == 5


@pytest.mark.django_db
def test_sessions_page_queries(logged_in, django_assert_num_queries, settings):
    settings.SESSION_ENGINE = "accounts.sessions.db"  # counts below are for the database engine
    # session, user, the session list, the header's cart badge (cart issue 6)
    with django_assert_num_queries(4 + CHROME):
        assert logged_in.get("/accounts/sessions/").status_code == 200


@pytest.mark.django_db
def test_cancelling_an_inline_edit_brings_the_card_back(logged_in, user):
    address = add(user)
    card = logged_in.get(f"/accounts/addresses/{address.pk}/", HTTP_HX_REQUEST="true")
    assert card.text.lstrip().startswith(f'<li id="address-{address.pk}"')
    assert "HX-Request" in card["Vary"]
    assert logged_in.get(f"/accounts/addresses/{address.pk}/")["Location"] == "/accounts/profile/#addresses"


@pytest.mark.django_db
def test_every_country_is_offered_and_one_without_a_fixed_postcode_format_takes_any(logged_in, user):
    page = logged_in.get("/accounts/profile/")
    assert page.text.count("<option") > 240  # django-countries: every ISO 3166-1 country
    assert ">Kenya</option>" in page.text
    response = logged_in.post("/accounts/addresses/new/", {**DATA, "country": "HK", "postcode": "", "city": "Kowloon"})
    assert response.status_code == 302
    address = Address.objects.get(user=user)
    assert address.country.name == "Hong Kong"
    assert address.lines()[-1] == "Hong Kong"


@pytest.mark.django_db
def test_postcode_is_normalised_and_a_local_phone_number_takes_the_countrys_prefix(logged_in, user):
    data = {**DATA, "country": "GB", "postcode": "sw1a 1aa", "phone": "020 7946 0958"}
    assert logged_in.post("/accounts/addresses/new/", data).status_code == 302
    address = Address.objects.get(user=user)
    assert address.postcode == "SW1A 1AA"
    assert str(address.phone) == "+442079460958"
    assert address.snapshot()["phone"] == "+442079460958"
