"""Staff: vouchers and promotions in the admin with usage counts, bulk codes as CSV, the report's totals."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from analytics.selectors import period_make, report_get
from discounts.models import Promotion, Voucher
from orders.models import Order
from orders.services import order_cancel
from tests.discounts.conftest import cart_with, make_voucher
from tests.orders.conftest import make_shopper, place

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(User.objects.create_superuser("admin@example.com", "a-long-password-1"))
    return client


@pytest.fixture
def ordered(boot, sock):
    """A member's order with a voucher and a promotion: 70.00 goods, 10 % off, 3 for 2 on socks."""
    voucher = make_voucher("SAVE10", usage_limit=10)
    Promotion.objects.create(name="3 for 2 socks", kind="buy_n_pay_m", product=sock, buy_quantity=3, pay_quantity=2)
    shopper = make_shopper()
    cart = cart_with((boot, 1), (sock, 3), user=shopper)
    cart.voucher = voucher
    cart.save()
    return place(shopper)


def test_the_admin_lists_vouchers_and_promotions_with_their_usage(admin_client, ordered):
    assert ordered.discount == Decimal("5.00") + Decimal("7.00")  # a free sock, then 10 % of the 70.00 left
    vouchers = admin_client.get("/admin/discounts/voucher/")
    assert vouchers.status_code == 200
    assert "SAVE10" in vouchers.text
    assert "1 / 10" in vouchers.text
    promotions = admin_client.get("/admin/discounts/promotion/")
    assert "3 for 2 socks" in promotions.text
    assert '<td class="field-uses_count">1</td>' in promotions.text
    voucher = Voucher.objects.get()
    change = admin_client.get(f"/admin/discounts/voucher/{voucher.pk}/change/")
    assert ordered.number in change.text  # the redemption inline
    assert admin_client.get("/admin/discounts/voucher/add/").status_code == 200


def test_the_admin_stores_codes_upper_cased_and_refuses_a_duplicate_in_another_case(admin_client, boot):
    make_voucher("SPRING")
    data = {"code": "spring", "kind": "fixed", "value": "5", "minimum_order": "0", "is_active": "on"}
    data.update({f"redemptions-{k}": v for k, v in {"TOTAL_FORMS": 0, "INITIAL_FORMS": 0}.items()})
    answer = admin_client.post("/admin/discounts/voucher/add/", data)
    assert answer.status_code == 200
    assert "A voucher with this code exists already" in answer.text
    answer = admin_client.post("/admin/discounts/voucher/add/", {**data, "code": " autumn "})
    assert answer.status_code == 302
    assert Voucher.objects.filter(code="AUTUMN").exists()


def test_the_admin_exports_the_selected_codes_as_csv(admin_client):
    made = [make_voucher(f"CODE{i}", usage_limit=1) for i in range(3)]
    answer = admin_client.post(
        "/admin/discounts/voucher/",
        {"action": "export_codes", "_selected_action": [v.pk for v in made]},
    )
    assert answer["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(answer.content.decode())))
    assert rows[0][:3] == ["code", "kind", "value"]
    assert [row[0] for row in rows[1:]] == ["CODE0", "CODE1", "CODE2"]


def test_the_command_generates_unique_single_use_codes_as_csv(tmp_path):
    out = tmp_path / "codes.csv"
    call_command("voucher_codes", count=25, prefix="WINTER-", kind="fixed", value="5.00", output=str(out))
    rows = list(csv.DictReader(out.open()))
    assert len({row["code"] for row in rows}) == 25
    assert all(row["code"].startswith("WINTER-") for row in rows)
    assert all(row["usage_limit"] == "1" for row in rows)
    assert Voucher.objects.filter(code__startswith="WINTER-", value=Decimal("5.00")).count() == 25
    stdout = io.StringIO()
    call_command("voucher_codes", count=2, stdout=stdout, stderr=io.StringIO(), value="10")
    assert len(stdout.getvalue().strip().splitlines()) == 3


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"count": 0}, "--count"),
        ({"count": 1, "prefix": "no spaces"}, "--prefix"),
        ({"count": 1, "value": "abc"}, "--value"),
        ({"count": 1, "value": "150"}, "a percentage"),
    ],
)
def test_the_command_refuses_bad_options_with_a_reason(options, message):
    with pytest.raises(CommandError, match=message):
        call_command("voucher_codes", **options)


def test_the_report_gains_discounts_and_revenue_net_of_discounts_and_tax(ordered, sock, settings):
    settings.ORDER_TAX_RATE = Decimal("0.10")
    settings.SHOP_PRICES_INCLUDE_TAX = False  # net prices: the tax is added
    shopper = make_shopper("grace@example.com")
    cart_with((sock, 2), user=shopper)
    taxed = place(shopper)  # 10.00 + 4.90 shipping, 1.49 tax
    cancelled = place_and_cancel(sock)
    today = date.today()
    report = report_get(period=period_make(today, today))
    assert report.total("discounts").value == ordered.discount + ordered.shipping_discount
    assert report.total("tax").value == taxed.tax == Decimal("1.49")
    net = (ordered.total - ordered.tax) + (taxed.total - taxed.tax)
    assert report.total("net_revenue").value == net
    assert cancelled.status == Order.Status.CANCELLED


def place_and_cancel(sock) -> Order:
    shopper = make_shopper("olga@example.com")
    cart_with((sock, 1), user=shopper)
    return order_cancel(order=place(shopper), actor="test")


def test_the_report_page_shows_the_new_totals(client, ordered, settings):
    staff = User.objects.create_user("boss@example.org", "a-long-password-1", is_staff=True)
    client.force_login(staff)
    page = client.get("/staff/analytics/?days=7").text
    assert 'data-total="discounts"' in page
    assert "Revenue net of discounts and tax" in page


def test_the_admin_refuses_a_percentage_over_100_and_an_incomplete_promotion(admin_client):
    data = {"code": "HUGE", "kind": "percentage", "value": "150", "minimum_order": "0", "is_active": "on"}
    data.update({"redemptions-TOTAL_FORMS": 0, "redemptions-INITIAL_FORMS": 0})
    answer = admin_client.post("/admin/discounts/voucher/add/", data)
    assert "A percentage is at most 100." in answer.text
    promotion = {"name": "Half off", "kind": "category_percent", "percent": "50", "threshold": "0", "priority": "0"}
    answer = admin_client.post("/admin/discounts/promotion/add/", promotion)
    assert "A percentage off a category needs the category." in answer.text
    assert not Voucher.objects.exists()
    assert not Promotion.objects.exists()
