import pytest

from storefront.models import Page

LEGAL = ["imprint", "terms", "privacy", "returns", "shipping", "contact"]


@pytest.mark.django_db
@pytest.mark.parametrize("slug", LEGAL)
def test_every_legal_page_exists_and_is_linked_from_the_footer(client, slug):
    page = client.get(f"/pages/{slug}/")
    assert page.status_code == 200
    home = client.get("/").content.decode()
    footer = home[home.index('<footer class="site-footer">') :]
    assert f'href="/pages/{slug}/"' in footer


@pytest.mark.django_db
def test_an_unpublished_page_is_a_404_and_leaves_the_footer(client, staff_client, django_capture_on_commit_callbacks):
    client.get("/")  # the chrome is cached now
    terms = Page.objects.get(slug="returns")
    data = {
        "title": terms.title,
        "slug": terms.slug,
        "group": terms.group,
        "body": terms.body,
        "meta_description": "",
        "position": terms.position,
    }  # is_published unticked
    with django_capture_on_commit_callbacks(execute=True):
        assert staff_client.post(f"/admin/storefront/page/{terms.pk}/change/", data).status_code == 302
    assert client.get("/pages/returns/").status_code == 404
    assert 'href="/pages/returns/"' not in client.get("/").content.decode()


@pytest.mark.django_db
def test_the_imprint_shows_the_brands_contact_details(client):
    from storefront.models import Brand

    Brand.objects.create(pk=1, name="Nordlicht", legal_name="Nordlicht GmbH", address="Hauptstraße 1\n1010 Wien")
    html = client.get("/pages/imprint/").content.decode()
    assert "<dd>Nordlicht GmbH</dd>" in html
    assert "Hauptstraße 1<br>1010 Wien" in html


@pytest.mark.django_db
def test_the_privacy_page_names_every_cookie_the_shop_sets(client):
    text = client.get("/pages/privacy/").content.decode()
    cookies = ["sessionid", "csrftoken", "shop_cart", "messages", "shop_gate", "shop_visitor", "shop_consent"]
    for cookie in [*cookies, "django_language"]:
        assert cookie in text
