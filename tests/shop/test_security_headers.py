import pytest


@pytest.mark.django_db
def test_pages_carry_the_security_headers(client):
    response = client.get("/")

    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_base_layout_has_landmarks_csrf_header_and_htmx(client):
    client.cookies["shop_cart"] = "a-cart"  # a visitor with state gets a token (not the shared page)
    html = client.get("/").content.decode()

    assert '<header class="site-header">' in html
    assert '<main id="main"' in html
    assert "<footer" in html
    assert 'hx-headers=\'{"X-CSRFToken": "' in html
    assert "django_htmx/htmx-2.min.js" in html
    assert '<html lang="en">' in html


def test_log_records_are_json_lines():
    import json
    import logging

    handler = logging.getLogger().handlers[0]
    record = logging.LogRecord("shop.test", logging.WARNING, __file__, 1, "something %s", ("happened",), None)

    line = json.loads(handler.format(record))
    assert line["level"] == "WARNING"
    assert line["logger"] == "shop.test"
    assert line["message"] == "something happened"


@pytest.mark.django_db
def test_every_answer_carries_a_permissions_policy(client):
    policy = client.get("/").headers["Permissions-Policy"]

    assert "camera=()" in policy
    assert "geolocation=()" in policy
    assert "payment=()" in policy


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/accounts/profile/", "/accounts/sessions/", "/staff/emails/", "/orders/", "/cart/", "/"]
)
def test_every_page_a_logged_in_visitor_gets_is_never_stored(client, path):
    from accounts.models import User

    user = User.objects.create_user("staff@example.org", "a-long-and-unusual-passphrase-42", is_staff=True)
    client.force_login(user)

    response = client.get(path)

    assert response.status_code == 200, path
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert {"no-store", "private"} <= directives, response["Cache-Control"]
