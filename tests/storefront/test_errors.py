"""Error pages in the shop's style that render without the database (it may be what failed)."""

import pytest
from django.test import RequestFactory

from storefront import views


@pytest.mark.parametrize(
    ("view", "status", "heading"),
    [
        (views.bad_request, 400, "Bad request"),
        (views.permission_denied, 403, "Access denied"),
        (views.page_not_found, 404, "Page not found"),
        (views.server_error, 500, "Something went wrong"),
        (views.csrf_failure, 403, "Access denied"),
    ],
)
def test_error_pages_render_with_the_database_blocked(django_db_blocker, view, status, heading):
    request = RequestFactory().get("/broken/")
    with django_db_blocker.block():  # any query would raise
        response = view(request) if view is views.server_error else view(request, Exception("x"))
    html = response.content.decode()
    assert response.status_code == status
    assert f'<h1 id="error-title">{heading}</h1>' in html
    assert '<link rel="stylesheet" href="/assets/site-' in html
    assert '<footer class="site-footer">' in html
    assert 'id="main"' in html


@pytest.mark.django_db
def test_an_unknown_url_gets_the_styled_404_without_a_query(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert b'class="error-code">Error 404<' in response.content


@pytest.mark.django_db
def test_the_error_pages_show_the_brand_once_it_is_cached(client):
    from storefront.models import Brand

    Brand.objects.create(pk=1, name="Nordlicht")
    client.get("/")  # fills the cached chrome
    assert b"Nordlicht" in client.get("/no/such/page/").content


@pytest.mark.django_db
def test_the_base_template_renders_without_a_request():
    from django.template.loader import render_to_string

    html = render_to_string("base.html")
    assert '<meta name="description" content="' in html
    assert '<footer class="site-footer">' in html
