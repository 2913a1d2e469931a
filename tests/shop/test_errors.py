import pytest


@pytest.mark.django_db
def test_unknown_url_gets_the_shops_404_page(client):
    response = client.get("/no/such/page/")

    assert response.status_code == 404
    assert b"Page not found" in response.content
    assert b'id="main"' in response.content


@pytest.mark.django_db
def test_malformed_host_header_is_a_400_not_a_500(client):
    response = client.get("/", HTTP_HOST="evil.example.com:bad")

    assert response.status_code == 400
    assert b"Bad request" in response.content


@pytest.mark.django_db
def test_disallowed_host_is_a_400(client):
    assert client.get("/", HTTP_HOST="not-ours.example.com").status_code == 400


@pytest.mark.django_db
def test_post_without_csrf_token_is_the_shops_403_page():
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post("/admin/login/", {"username": "x", "password": "y"})

    assert response.status_code == 403
    assert b"Access denied" in response.content


def test_500_page_renders_without_a_request_context():
    from django.template.loader import render_to_string

    html = render_to_string("500.html")
    assert "Something went wrong" in html
