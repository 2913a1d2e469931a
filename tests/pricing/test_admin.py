"""Tax classes and rates in the admin: a rate outside 0-100 % is refused, by the form and by the database."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from pricing.models import TaxClass, TaxRate

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("boss@example.com", "a-long-passphrase-42"))
    return client


def add_rate(client, rate: str, country: str = "DE"):
    standard = TaxClass.objects.get(code="standard")
    return client.post(
        "/admin/pricing/taxrate/add/", {"tax_class": standard.pk, "country": country, "region": "", "rate": rate}
    )


def test_staff_add_a_rate_in_the_admin(admin):
    response = add_rate(admin, "19")
    assert response.status_code == 302
    assert TaxRate.objects.get().rate == Decimal("19.00")


@pytest.mark.parametrize("rate", ["100.01", "120", "-1"])
def test_a_rate_outside_0_to_100_is_refused_in_the_admin(admin, rate):
    response = add_rate(admin, rate)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Ensure this value is" in page
    assert not TaxRate.objects.exists()


@pytest.mark.parametrize("rate", ["0", "100"])
def test_the_bounds_themselves_are_allowed(admin, rate):
    assert add_rate(admin, rate).status_code == 302


def test_the_database_refuses_a_rate_outside_0_to_100(db):
    standard = TaxClass.objects.get(code="standard")
    with pytest.raises(IntegrityError), transaction.atomic():
        TaxRate.objects.create(tax_class=standard, country="DE", rate=Decimal("100.5"))


def test_a_second_rate_for_the_same_class_and_place_is_refused(admin):
    assert add_rate(admin, "19").status_code == 302
    response = add_rate(admin, "16")
    assert response.status_code == 200
    assert "already has a rate there" in response.content.decode()


def test_the_three_classes_exist_and_a_class_code_is_fixed_once_made(admin):
    assert list(TaxClass.objects.values_list("code", flat=True)) == ["standard", "reduced", "zero"]
    reduced = TaxClass.objects.get(code="reduced")
    page = admin.get(f"/admin/pricing/taxclass/{reduced.pk}/change/").content.decode()
    assert 'name="code"' not in page  # products point at the code: it is read-only


def test_the_product_admin_edits_tax_class_and_sale(admin):
    page = admin.get("/admin/catalog/product/add/").content.decode()
    for field in ("tax_class", "sale_price", "sale_starts_at_0", "sale_ends_at_0"):
        assert f'name="{field}"' in page, field
    for field in ("variants-0-sale_price_override", "variants-0-tax_class"):
        assert f'name="{field}"' in page, field
