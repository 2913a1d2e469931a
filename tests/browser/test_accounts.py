"""Register -> log out -> log in -> sessions page -> revoke another session, in a real browser."""

import re

from playwright.sync_api import expect

from accounts.models import Session

PASSWORD = "a-long-and-unusual-passphrase-42"


def test_register_logout_login_then_revoke_another_session(page, live_server, browser, console_errors):
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Register").click()
    page.get_by_label("E-mail address").fill("walker@example.org")
    page.get_by_label("Name (optional)").fill("Wally Walker")
    page.get_by_label("Password:", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("link", name="Log in")).to_be_visible()

    # A second device logs in too.
    other = browser.new_context(user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Safari/604.1")
    phone = other.new_page()
    phone.goto(live_server.url + "/accounts/login/")
    phone.get_by_label("E-mail address").fill("walker@example.org")
    phone.get_by_label("Password").fill(PASSWORD)
    phone.get_by_role("button", name="Log in").click()
    expect(phone.get_by_role("heading", name="Your account")).to_be_visible()

    page.get_by_role("link", name="Log in").click()
    page.get_by_label("E-mail address").fill("walker@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()

    page.get_by_role("link", name="Your sessions").click()
    rows = page.locator("#sessions tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator("#sessions tr.current")).to_contain_text("This session")
    phone_row = rows.filter(has_text="Safari on iPhone")
    with page.expect_response(re.compile(r"/accounts/sessions/.+/revoke/")) as revoked:
        phone_row.get_by_role("button", name=re.compile("Log out this session")).click()
    assert revoked.value.request.headers.get("hx-request") == "true"
    expect(rows).to_have_count(1)
    assert Session.objects.filter(user__email="walker@example.org").count() == 1

    # The phone's token is gone: its next request is anonymous.
    phone.goto(live_server.url + "/accounts/profile/")
    expect(phone).to_have_url(re.compile(r"/accounts/login/\?next="))
    other.close()
    page.wait_for_load_state("networkidle")
    assert console_errors == []


def test_address_book_edits_inline_with_htmx(page, live_server, console_errors, django_user_model):
    django_user_model.objects.create_user("home@example.org", PASSWORD)
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("E-mail address").fill("home@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    form = page.locator("#addresses > form")
    form.get_by_label("Name").fill("Hannah Home")
    form.get_by_label("Address line 1").fill("5 Garden Lane")
    form.get_by_label("City").fill("Vienna")
    form.get_by_label("Postcode").fill("1010")
    form.get_by_label("Country").select_option("AT")
    form.get_by_role("button", name="Add address").click()
    card = page.locator(".address-card").filter(has_text="5 Garden Lane")
    expect(card).to_contain_text("Default address")

    card.get_by_role("link", name=re.compile("Edit")).click()
    edit = page.locator(".address-card form")
    edit.get_by_label("City").fill("Graz")
    edit.get_by_role("button", name="Save address").click()
    expect(page.locator(".address-card")).to_contain_text("Graz")
    expect(page).to_have_url(re.compile(r"/accounts/profile/$"))  # no full-page navigation happened

    page.locator(".address-card").get_by_role("button", name=re.compile("Delete")).click()
    expect(page.locator("#addresses")).to_contain_text("Your address book is empty.")
    assert console_errors == []
