"""schemathesis against the live OpenAPI schema, through the WSGI app on the test database.

Every operation, with generated valid and invalid input, as a staff token (every scope): never a 5xx, and
every response (status, content type, body) is what the schema says. Examples per operation are bounded
so the suite stays quick on both databases.
"""

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.services import token_create
from tests.api.conftest import make_user
from tests.factories import make_category, make_product

MAX_EXAMPLES = 10
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def api_schema(db):
    category = make_category("Tools", slug="tools")
    for n in range(3):
        make_product(f"Gear {n}", category=category)
    # As Django's test client does: the request cycle must not close (or, pooled, give back) the test's
    # connection, which holds the test's transaction.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/v1/openapi.json", WSGIHandler())
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def staff_token(db):
    return token_create(user=make_user("contract@example.com", is_staff=True)).secret


def _operations() -> list[tuple[str, str]]:
    from api.api import api

    paths = api.get_openapi_schema(path_params={})["paths"]
    return [(method.upper(), path) for path, ops in paths.items() for method in ops]


@pytest.fixture
def settings_override(settings):
    # Generated requests arrive fast and from one address: the limits are tested elsewhere.
    settings.API_RATE_PER_TOKEN = 0
    settings.API_RATE_PER_IP = 0


@pytest.mark.parametrize(("method", "path"), _operations())
def test_the_api_honours_its_schema(api_schema, staff_token, settings_override, method, path):
    operation = api_schema[path][method]
    headers = {"Authorization": f"Bearer {staff_token}"}

    @given(case=operation.as_strategy())
    @settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    def run(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    run()
