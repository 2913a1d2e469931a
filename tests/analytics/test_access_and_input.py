"""Who may read the report (staff, from allowed addresses) and how bad input is answered (never a 500)."""

import pytest
import time_machine
from django.core.management import call_command

from accounts.models import User

pytestmark = pytest.mark.django_db

URL = "/staff/analytics/"


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/?next=/staff/analytics/")


def test_shoppers_who_are_not_staff_cannot_read_it(client, user):
    client.force_login(user)

    for url in [URL, URL + "events.csv", URL + "daily.csv"]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")


def test_staff_read_it(client, staff):
    assert client.get(URL).status_code == 200


@pytest.mark.parametrize("allowed", [["192.0.2.7"], ["192.0.2.0/24"], ["10.0.0.1", "192.0.2.0/28"]])
def test_allowed_ips_let_staff_in_from_those_addresses(client, staff, settings, allowed):
    settings.ANALYTICS_ALLOWED_IPS = allowed

    assert client.get(URL, REMOTE_ADDR="192.0.2.7").status_code == 200


def test_an_ipv4_mapped_address_matches_its_ipv4_entry(client, staff, settings):
    settings.ANALYTICS_ALLOWED_IPS = ["192.0.2.0/24"]

    assert client.get(URL, REMOTE_ADDR="::ffff:192.0.2.7").status_code == 200


def test_outside_the_allowed_ips_even_staff_get_404(client, staff, settings):
    settings.ANALYTICS_ALLOWED_IPS = ["192.0.2.0/24"]

    assert client.get(URL, REMOTE_ADDR="198.51.100.1").status_code == 404
    assert client.get(URL + "events.csv", REMOTE_ADDR="198.51.100.1").status_code == 404


def test_outside_the_allowed_ips_anonymous_visitors_get_404_not_the_login_page(client, settings):
    settings.ANALYTICS_ALLOWED_IPS = ["192.0.2.0/24"]

    assert client.get(URL, REMOTE_ADDR="198.51.100.1").status_code == 404


def test_a_forged_forwarded_for_header_is_ignored_without_a_trusted_proxy(client, staff, settings):
    settings.ANALYTICS_ALLOWED_IPS = ["192.0.2.7"]

    response = client.get(URL, REMOTE_ADDR="198.51.100.1", HTTP_X_FORWARDED_FOR="192.0.2.7")

    assert response.status_code == 404


def test_behind_a_trusted_proxy_the_address_it_saw_counts(client, staff, settings):
    settings.ANALYTICS_ALLOWED_IPS = ["192.0.2.7"]
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.2"

    allowed = client.get(URL, REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="192.0.2.7")
    forged = client.get(URL, REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="192.0.2.7, 198.51.100.1")

    assert allowed.status_code == 200
    assert forged.status_code == 404  # the client wrote 192.0.2.7; our proxy saw 198.51.100.1


def test_a_bad_allowed_ips_entry_is_a_system_check_error(settings):
    from django.core.management.base import SystemCheckError

    settings.ANALYTICS_ALLOWED_IPS = ["10.0.0.0/8", "office"]
    with pytest.raises(SystemCheckError, match="analytics.E001"):
        call_command("check")


def test_the_admin_index_links_to_the_report(client, db):
    boss = User.objects.create_superuser("root@example.org", "a-long-password-1")
    client.force_login(boss)

    html = client.get("/admin/").content.decode()

    assert '<a href="/staff/analytics/">Usage statistics</a>' in html


@time_machine.travel("2026-03-15 12:00Z", tick=False)
@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=2026-03-14&to=2026-03-01", "The start date is after the end date."),
        ("from=2026-02-30&to=2026-03-01", "Enter a valid date."),
        ("from=yesterday", "Enter a valid date."),
        ("from=99999-01-01", "Enter a valid date."),
        ("from=0001-01-01&to=0001-01-05", "Dates must lie between 2000-01-01 and today (2026-03-15)."),
        ("to=0001-01-05", "Dates must lie between 2000-01-01 and today (2026-03-15)."),
        ("from=9999-12-31", "Dates must lie between 2000-01-01 and today (2026-03-15)."),
        ("from=2026-03-01&to=2031-01-01", "Dates must lie between 2000-01-01 and today (2026-03-15)."),
        ("from=2020-01-01&to=2026-03-01", "A report covers at most 731 days (two years)."),
        ("days=365", "Select a valid choice. 365 is not one of the available choices."),
        ("days=%00", "Select a valid choice."),
        ("from=2026-03-01%00", "Enter a valid date."),
    ],
)
def test_bad_periods_get_a_clear_message_never_a_500(client, staff, query, message):
    page = client.get(f"{URL}?{query}")
    fragment = client.get(f"{URL}?{query}", HTTP_HX_REQUEST="true")
    export = client.get(f"{URL}events.csv?{query}")

    assert page.status_code == 400
    assert message in page.content.decode()
    assert fragment.status_code == 200  # htmx swaps only 2xx answers: the fragment shows the message
    assert message in fragment.content.decode()
    assert export.status_code == 400
    assert message in export.content.decode()


@time_machine.travel("2026-03-15 12:00Z", tick=False)
def test_two_years_exactly_is_allowed(client, staff):
    assert client.get(f"{URL}?from=2024-03-15&to=2026-03-14").status_code == 200


@time_machine.travel("2026-03-15 12:00Z", tick=False)
def test_only_one_date_or_none_picks_a_sensible_period(client, staff):
    assert 'value="2026-02-14"' in client.get(URL).content.decode()  # the last 30 days
    assert 'value="2026-03-15"' in client.get(f"{URL}?from=2026-03-01").content.decode()
    assert 'value="2026-01-30"' in client.get(f"{URL}?to=2026-02-28").content.decode()


def test_the_report_refuses_other_methods(client, staff):
    assert client.post(URL).status_code == 405
