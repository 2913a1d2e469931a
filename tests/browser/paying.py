"""Paying in the browser: our pay page (no card input) hands over to the sandbox provider's page."""

import re

from playwright.sync_api import expect


def pay_with(page, number, *, challenge=None):
    """Pay on our page (no card input there), type the card on the sandbox's page, answer 3-D Secure."""
    assert page.locator("input[autocomplete^=cc-], input[name=number], input[name=cvc]").count() == 0
    page.get_by_role("button", name=re.compile(r"^Pay ")).click()
    expect(page).to_have_url(re.compile(r"/sandbox-pay/sbx_\w+/$"))
    expect(page.get_by_role("note")).to_contain_text("Test mode")
    page.get_by_label("Card number").fill(number)
    page.get_by_role("button", name=re.compile(r"^Pay ")).click()
    if challenge:
        expect(page.get_by_role("heading", name="Confirm this payment")).to_be_visible()
        page.get_by_role("button", name=challenge).click()
