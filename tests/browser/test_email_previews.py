from playwright.sync_api import expect

from accounts.models import User


def test_staff_browse_the_mail_previews_without_console_errors(page, live_server, console_errors):
    User.objects.create_superuser("boss@example.com", "a-long-password-1")
    page.goto(live_server.url + "/staff/emails/")
    page.get_by_label("E-mail address").fill("boss@example.com")
    page.get_by_label("Password").fill("a-long-password-1")
    page.get_by_role("button", name="Log in").click()

    page.get_by_role("link", name="Order confirmation").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Order confirmation")
    expect(page.get_by_role("heading", name="Plain text part")).to_be_visible()
    page.get_by_role("link", name="Open the HTML part as a mail client shows it").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Order A-10042 confirmed")
    expect(page.get_by_role("cell", name="Brass gear set")).to_be_visible()
    page.wait_for_load_state("networkidle")
    # The HTML part is served exactly as mailed: it names no icon, so the browser's /favicon.ico 404s.
    assert [e for e in console_errors if "404" not in e] == []
