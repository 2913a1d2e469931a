"""Every error the API answers is an RFC 9457 problem (`application/problem+json`): one place maps them."""

import json
import logging
from http import HTTPStatus

from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from accounts.services import AccountError
from cart.services import CartError, InvalidQuantity, LineNotFound, VariantNotFound
from catalog.services import CatalogError
from orders.services import OrderError

logger = logging.getLogger(__name__)
PROBLEM_TYPE = "application/problem+json"


class ApiProblem(Exception):
    """Answer with this problem: status, a sentence for the caller, optional extra members and headers."""

    def __init__(self, status: int, detail: str, *, headers: dict[str, str] | None = None, **extra):
        super().__init__(detail)
        self.status, self.detail, self.headers, self.extra = status, detail, headers or {}, extra


def problem_response(status: int, detail: str, *, headers: dict[str, str] | None = None, **extra) -> HttpResponse:
    body = {"type": "about:blank", "title": HTTPStatus(status).phrase, "status": status, "detail": detail, **extra}
    response = HttpResponse(json.dumps(body, default=str), status=status, content_type=PROBLEM_TYPE)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _validation_errors(errors: list[dict]) -> list[dict]:
    """pydantic's errors without the parts that are not JSON (ctx may hold exceptions) or echo input."""
    return [{"loc": list(e.get("loc", [])), "msg": str(e.get("msg", "")), "type": e.get("type", "")} for e in errors]


# Domain errors raised by the services, by how the API answers them (most specific first).
DOMAIN_ERRORS: list[tuple[type[Exception], int]] = [
    (LineNotFound, 404),
    (VariantNotFound, 422),
    (InvalidQuantity, 422),
    (CartError, 409),
    (AccountError, 409),
    (OrderError, 409),
    (CatalogError, 422),
]


def install(api) -> None:
    """Register the handlers on the NinjaAPI instance."""

    @api.exception_handler(ApiProblem)
    def _problem(request: HttpRequest, exc: ApiProblem) -> HttpResponse:
        return problem_response(exc.status, exc.detail, headers=exc.headers, **exc.extra)

    @api.exception_handler(NinjaValidationError)
    def _invalid(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        return problem_response(422, "The request is not valid.", errors=_validation_errors(exc.errors))

    @api.exception_handler(DjangoValidationError)
    def _invalid_model(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        if hasattr(exc, "error_dict"):
            errors = [{"loc": ["body", f], "msg": " ".join(m), "type": "invalid"} for f, m in exc.message_dict.items()]
        else:
            errors = [{"loc": ["body"], "msg": m, "type": "invalid"} for m in exc.messages]
        return problem_response(422, "The request is not valid.", errors=errors)

    @api.exception_handler(AuthenticationError)
    def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return problem_response(401, "A valid bearer token is required.", headers={"WWW-Authenticate": "Bearer"})

    @api.exception_handler(HttpError)
    def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        return problem_response(exc.status_code, str(exc))

    @api.exception_handler(Http404)
    def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return problem_response(404, str(exc) or "Not found.")

    @api.exception_handler(RequestDataTooBig)
    def _too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        return problem_response(413, "The request body is too large.")

    @api.exception_handler(Exception)
    def _other(request: HttpRequest, exc: Exception) -> HttpResponse:
        for kind, status in DOMAIN_ERRORS:
            if isinstance(exc, kind):
                return problem_response(status, str(exc))
        logger.exception("api: unhandled error", extra={"path": request.path})
        return problem_response(500, "Something went wrong on our side.")
