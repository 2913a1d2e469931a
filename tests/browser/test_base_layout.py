import json

from playwright.sync_api import expect


def test_home_page_loads_with_htmx_active_and_no_console_errors(page, live_server, console_errors):
    page.goto(live_server.url + "/")

    expect(page.get_by_role("main")).to_be_visible()
    assert page.evaluate("window.htmx && htmx.version").startswith("2.")
    page.wait_for_load_state("networkidle")
    assert console_errors == []


def test_a_request_sent_by_htmx_carries_the_csrf_token(page, live_server, console_errors):
    # A visitor with state (a cart cookie) gets their own page, with the token (shared pages: shop/shared.py).
    page.context.add_cookies([{"name": "shop_cart", "value": "a-cart", "url": live_server.url}])
    page.goto(live_server.url + "/")
    page.evaluate(
        """() => {
            const button = document.createElement("button");
            button.id = "probe";
            button.textContent = "probe";
            button.setAttribute("hx-post", "/healthz");
            button.setAttribute("hx-swap", "none");
            document.querySelector("main").append(button);
            htmx.process(button);
        }"""
    )
    with page.expect_request("**/healthz") as request_info:
        page.click("#probe")
    headers = request_info.value.headers
    assert headers["hx-request"] == "true"
    body_headers = json.loads(page.get_attribute("body", "hx-headers"))
    assert headers["x-csrftoken"] == body_headers["X-CSRFToken"]
    assert len(headers["x-csrftoken"]) == 64
    # /healthz only answers safe methods: the failure must show on the page, not pass silently.
    expect(page.locator("#messages .message-error")).to_have_count(1)
    assert [e for e in console_errors if "Content Security Policy" in e] == []


def test_a_failed_htmx_request_shows_a_message(page, live_server):
    page.goto(live_server.url + "/")
    page.evaluate("""() => htmx.ajax("GET", "/no-such-page/", {target: "main", swap: "none"})""")

    expect(page.locator("#messages")).to_contain_text("could not be found")
