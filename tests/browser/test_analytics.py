import re
from datetime import timedelta

from django.conf import settings
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import User
from analytics.models import Event, EventName


def test_staff_change_the_period_and_the_charts_update_in_place(page, live_server, console_errors):
    boss = User.objects.create_superuser("boss@example.com", "a-long-password-1")
    now = timezone.now()
    Event.objects.bulk_create(
        [
            Event(name=EventName.PRODUCT_VIEWED, occurred_at=now - timedelta(days=days), visitor=f"{days:032x}")
            for days in (1, 2, 40, 41, 42)
        ]
    )
    client = Client()
    client.force_login(boss)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
    page.goto(live_server.url + "/staff/analytics/?days=7")

    views = page.locator('[data-chart="views"]')
    expect(views.locator(".bars rect")).to_have_count(7)
    expect(views.locator("figcaption")).to_contain_text("total 2")
    expect(page.locator('tr[data-total="views"] td').first).to_have_text("2")
    loads = []
    page.on("load", lambda: loads.append(1))

    page.get_by_role("link", name="Last 90 days").click()

    expect(views.locator(".bars rect")).to_have_count(90)
    expect(views.locator("figcaption")).to_contain_text("total 5")
    expect(page).to_have_url(re.compile(r"/staff/analytics/\?days=90$"))
    expect(page.get_by_role("link", name="Last 90 days")).to_have_attribute("aria-current", "page")

    start = timezone.localdate() - timedelta(days=45)
    end = timezone.localdate() - timedelta(days=30)
    page.get_by_label("From", exact=True).fill(start.isoformat())
    page.get_by_label("To", exact=True).fill(end.isoformat())
    page.get_by_role("button", name="Show").click()

    expect(views.locator(".bars rect")).to_have_count(16)
    expect(views.locator("figcaption")).to_contain_text("total 3")
    expect(page).to_have_url(re.compile(rf"from={start.isoformat()}&to={end.isoformat()}"))
    expect(page.get_by_role("img", name="Product views")).to_be_visible()

    page.get_by_label("From", exact=True).fill(end.isoformat())
    page.get_by_label("To", exact=True).fill(start.isoformat())
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("alert")).to_have_text("The start date is after the end date.")
    assert loads == []  # every change was swapped in place

    page.go_back()
    expect(views.locator(".bars rect")).to_have_count(16)
    assert console_errors == []
