"""HTTP behaviour shared by operations: Idempotency-Key replay and ETag / If-None-Match."""

import hashlib
import json
from collections.abc import Callable
from functools import wraps

from django.core.paginator import Page
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from ninja import Schema

from api import services
from api.errors import ApiProblem

IDEMPOTENCY_KEY_MAX = 200


def page_meta(page: Page, per_page: int) -> dict[str, int]:
    """The pagination members every list answers with, beside its `items`."""
    return {"count": page.paginator.count, "page": page.number, "per_page": per_page, "pages": page.paginator.num_pages}


def json_response(status: int, out: Schema) -> HttpResponse:
    return HttpResponse(json.dumps(out.model_dump(mode="json")), status=status, content_type="application/json")


def idempotent(view: Callable[..., tuple[int, Schema]]) -> Callable[..., HttpResponse]:
    """With an `Idempotency-Key` header, the first successful response is stored and replayed for repeats.

    The view returns (status, schema instance). A repeat with a different body is a 422; one arriving
    while the first still runs is a 409. Errors are not stored: a corrected retry runs afresh.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        key = request.headers.get("Idempotency-Key", "").strip()
        if not key:
            return json_response(*view(request, *args, **kwargs))
        if len(key) > IDEMPOTENCY_KEY_MAX or not key.isprintable():
            raise ApiProblem(400, f"Idempotency-Key must be at most {IDEMPOTENCY_KEY_MAX} printable characters.")
        principal = request.auth
        fingerprint = services.idempotency_fingerprint(request)
        try:
            claim = services.idempotency_claim(
                user=principal.user, client=principal.ip, key=key, fingerprint=fingerprint
            )
        except services.IdempotencyConflict as exc:
            raise ApiProblem(409 if "still" in str(exc) else 422, str(exc)) from None
        if claim.status is not None:
            response = HttpResponse(bytes(claim.body), status=claim.status, content_type=claim.content_type)
            response["Idempotent-Replayed"] = "true"
            return response
        try:
            response = json_response(*view(request, *args, **kwargs))
        except BaseException:
            services.idempotency_release(claim)
            raise
        services.idempotency_store(
            claim, status=response.status_code, body=response.content, content_type=response["Content-Type"]
        )
        return response

    return wrapper


def etag(*parts: object) -> str:
    return 'W/"' + hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=12).hexdigest() + '"'


def not_modified(request: HttpRequest, tag: str) -> HttpResponse | None:
    """A 304 when the client already holds `tag` (If-None-Match, weak comparison)."""
    sent = request.headers.get("If-None-Match", "")
    if sent.strip() == "*" or tag in [t.strip() for t in sent.split(",")]:
        response = HttpResponseNotModified()
        response["ETag"] = tag
        return response
    return None
