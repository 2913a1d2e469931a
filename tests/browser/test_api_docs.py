from playwright.sync_api import expect


def test_the_api_docs_render_under_the_csp_from_our_static_files(page, live_server, console_errors):
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(live_server.url) else None)
    page.goto(live_server.url + "/api/v1/docs")
    expect(page.get_by_text("/api/v1/products/").first).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert [u for u in outside if not u.startswith("data:")] == []
    assert console_errors == []
