"""Bad input, Idempotency-Key replay, rate limits, CORS, the docs page: HTTP behaviour shared by every operation."""

from api.models import IdempotentRequest
from cart.models import CartLine
from catalog.models import Product
from tests.api.conftest import Api, api_for, problem
from tests.factories import set_stock

# --- Bad input: always a 4xx problem ---------------------------------------------------------------


def test_invalid_json_is_a_400_problem(shopper_api, shopper):
    problem(shopper_api.post(f"/user/{shopper.pk}/cart/", raw=b'{"product_id": 1,'), 400)


def test_a_non_object_body_is_a_422_problem(shopper_api, shopper):
    problem(shopper_api.post(f"/user/{shopper.pk}/cart/", [1, 2]), 422)


def test_unknown_fields_are_refused(shopper_api, shopper, product):
    body = problem(shopper_api.post(f"/user/{shopper.pk}/cart/", {"product_id": product.pk, "price": "0.01"}), 422)
    assert body["errors"][0]["type"] == "extra_forbidden"


def test_wrong_types_are_a_422_with_the_field_named(shopper_api, shopper):
    body = problem(shopper_api.post(f"/user/{shopper.pk}/cart/", {"product_id": "lamp"}), 422)
    assert body["errors"][0]["loc"][-1] == "product_id"


def test_a_non_integer_path_id_is_a_422(shopper_api):
    problem(shopper_api.get("/user/abc"), 422)


def test_a_huge_body_is_a_413(shopper_api, shopper, settings):
    settings.API_MAX_BODY_BYTES = 1000
    problem(shopper_api.post(f"/user/{shopper.pk}/cart/", {"product_id": 1, "pad": "x" * 2000}), 413)


def test_an_unknown_url_under_the_api_is_a_404(shopper_api):
    assert shopper_api.get("/nothing-here").status_code == 404


# --- Idempotency-Key ------------------------------------------------------------------------------


def test_a_replayed_create_returns_the_first_response_and_creates_nothing_more(staff_api, category):
    body = {"name": "Cog", "sku": "COG", "price": "1.00", "category_id": category.pk}
    first = staff_api.post("/product/", body, Idempotency_Key="k-1")
    again = staff_api.post("/product/", body, Idempotency_Key="k-1")
    assert first.status_code == again.status_code == 201
    assert first.content == again.content
    assert again["Idempotent-Replayed"] == "true"
    assert Product.objects.filter(sku="COG").count() == 1


def test_a_replayed_cart_add_adds_once(shopper_api, shopper, product):
    for _ in range(2):
        assert (
            shopper_api.post(
                f"/user/{shopper.pk}/cart/", {"product_id": product.pk}, Idempotency_Key="add-lamp"
            ).status_code
            == 201
        )
    assert CartLine.objects.get(cart__user=shopper).quantity == 1


def test_the_same_key_with_another_body_is_a_422(shopper_api, shopper, product):
    shopper_api.post(f"/user/{shopper.pk}/cart/", {"product_id": product.pk}, Idempotency_Key="k")
    problem(
        shopper_api.post(f"/user/{shopper.pk}/cart/", {"product_id": product.pk, "quantity": 2}, Idempotency_Key="k"),
        422,
    )


def test_keys_belong_to_their_user(shopper, other, product):
    for user in (shopper, other):
        api_for(user).post(f"/user/{user.pk}/cart/", {"product_id": product.pk}, Idempotency_Key="same")
    assert CartLine.objects.filter(product=product).count() == 2


def test_a_failed_request_does_not_keep_its_key(shopper_api, shopper, product):
    set_stock(product, 0)
    problem(shopper_api.post(f"/user/{shopper.pk}/cart/", {"product_id": product.pk}, Idempotency_Key="retry"), 409)
    set_stock(product, 3)
    assert (
        shopper_api.post(f"/user/{shopper.pk}/cart/", {"product_id": product.pk}, Idempotency_Key="retry").status_code
        == 201
    )


def test_a_key_still_in_progress_is_a_409(shopper_api, shopper, product):
    IdempotentRequest.objects.create(user=shopper, key="busy", fingerprint="x")
    problem(shopper_api.post(f"/user/{shopper.pk}/cart/", {"product_id": product.pk}, Idempotency_Key="busy"), 409)


# --- Rate limits ---------------------------------------------------------------------------------


def test_a_token_over_its_rate_is_answered_429_with_retry_after(shopper_api, shopper, settings):
    settings.API_RATE_PER_TOKEN = 3
    for _ in range(3):
        assert shopper_api.get(f"/user/{shopper.pk}").status_code == 200
    response = shopper_api.get(f"/user/{shopper.pk}")
    problem(response, 429)
    assert 1 <= int(response["Retry-After"]) <= 60


def test_another_token_has_its_own_budget(shopper_api, shopper, settings):
    settings.API_RATE_PER_TOKEN = 1
    shopper_api.get(f"/user/{shopper.pk}")
    assert api_for(shopper).get(f"/user/{shopper.pk}").status_code == 200


def test_an_address_over_its_rate_is_answered_429_with_or_without_tokens(anon, settings, shopper):
    settings.API_RATE_PER_IP = 2
    anon.get("/products/")
    api_for(shopper).get("/products/")
    problem(anon.get("/products/"), 429)
    assert anon.get("/products/", REMOTE_ADDR="10.9.9.9").status_code == 200


# --- CORS ---------------------------------------------------------------------------------------


def test_cors_is_off_by_default(anon):
    response = anon.get("/products/", Origin="https://app.example.com")
    assert "Access-Control-Allow-Origin" not in response


def test_cors_answers_listed_origins_only(anon, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com"]
    ok = anon.get("/products/", Origin="https://app.example.com")
    assert ok["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert "Access-Control-Allow-Origin" not in anon.get("/products/", Origin="https://evil.example")
    preflight = anon.request(
        "OPTIONS", "/products/", Origin="https://app.example.com", Access_Control_Request_Method="GET"
    )
    assert preflight["Access-Control-Allow-Origin"] == "https://app.example.com"


def test_cors_never_applies_to_the_html_shop(db, settings, client):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com"]
    assert "Access-Control-Allow-Origin" not in client.get("/", headers={"Origin": "https://app.example.com"})


# --- Schema and docs -------------------------------------------------------------------------------


def test_the_openapi_schema_is_3_1_and_documents_problem_errors(anon):
    schema = anon.get("/openapi.json").json()
    assert schema["openapi"].startswith("3.1")
    responses = schema["paths"]["/api/v1/products/"]["get"]["responses"]
    assert "application/problem+json" in responses["422"]["content"]


def test_the_docs_page_loads_its_assets_from_our_static_files_under_our_csp(anon):
    response = anon.get("/docs")
    html = response.content.decode()
    assert response.status_code == 200
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert Api().client.get("/static/ninja/swagger-ui-bundle.js").status_code == 200


def test_the_schema_says_which_operations_take_anonymous_callers(anon):
    paths = anon.get("/openapi.json").json()["paths"]
    assert {} in paths["/api/v1/products/"]["get"]["security"]
    assert paths["/api/v1/orders/"]["get"]["security"] == [{"TokenAuth": []}]


def test_a_control_character_in_an_api_path_is_a_404_problem(shopper_api):
    problem(shopper_api.get("/orders/AB%07CD"), 404)
