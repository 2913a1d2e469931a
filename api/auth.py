"""Who is calling: a bearer token (personal or session) or nobody; rate limits and the body limit first."""

from dataclasses import dataclass, field

from django.conf import settings
from django.http import HttpRequest
from ninja.security import HttpBearer

from accounts.models import User
from accounts.net import client_ip
from api.errors import ApiProblem
from api.models import STAFF_SCOPES, ApiToken
from api.services import TokenInvalid, rate_limit_hit, token_authenticate


@dataclass(frozen=True)
class Principal:
    """The caller: a token's user and scopes, or anonymous (user None)."""

    user: User | None = None
    token: ApiToken | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)
    ip: str = ""


def _throttled(wait: int) -> ApiProblem:
    return ApiProblem(429, f"Too many requests; retry in {wait} s.", headers={"Retry-After": str(wait)})


class TokenAuth(HttpBearer):
    """Runs before every operation: body size, per-IP limit, the token, per-token limit.

    With `required=False` (catalog reads, registration, login) a caller without an Authorization header
    is anonymous. A bad token is always a 401, never silently anonymous.
    """

    def __init__(self, *, required: bool = True):
        super().__init__()
        self.required = required

    def __call__(self, request: HttpRequest) -> Principal:
        length = request.META.get("CONTENT_LENGTH") or "0"
        if not length.isdigit() or int(length) > settings.API_MAX_BODY_BYTES:
            raise ApiProblem(413, f"The request body is larger than {settings.API_MAX_BODY_BYTES} bytes.")
        ip = client_ip(request)
        if wait := rate_limit_hit(f"ip:{ip}", settings.API_RATE_PER_IP):
            raise _throttled(wait)
        header = request.headers.get("Authorization", "")
        if not header:
            if self.required:
                raise ApiProblem(401, "A valid bearer token is required.", headers={"WWW-Authenticate": "Bearer"})
            principal = Principal(ip=ip)
        else:
            scheme, _, value = header.partition(" ")
            if scheme.lower() != "bearer" or not value.strip():
                raise ApiProblem(401, "Use `Authorization: Bearer <token>`.", headers={"WWW-Authenticate": "Bearer"})
            try:
                token = token_authenticate(value.strip())
            except TokenInvalid as exc:
                raise ApiProblem(401, str(exc), headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}) from None
            if wait := rate_limit_hit(f"token:{token.pk}", settings.API_RATE_PER_TOKEN):
                raise _throttled(wait)
            principal = Principal(user=token.user, token=token, scopes=frozenset(token.scopes), ip=ip)
            # The services that read `request.user` (cart_get) see the token's user, never a cookie session.
            request.user = token.user
        request.principal = principal
        return principal

    def authenticate(self, request: HttpRequest, token: str) -> Principal | None:  # pragma: no cover - unused
        return None


def require_token(request: HttpRequest) -> Principal:
    """The caller, who must have sent a token."""
    principal: Principal = request.auth
    if principal.user is None:
        raise ApiProblem(401, "A valid bearer token is required.", headers={"WWW-Authenticate": "Bearer"})
    return principal


def require(request: HttpRequest, scope: str) -> Principal:
    """The caller, if its token holds `scope` (and, for a staff scope, its user is still staff)."""
    principal = require_token(request)
    if scope not in principal.scopes or (scope in STAFF_SCOPES and not principal.user.is_staff):
        raise ApiProblem(403, f"The token does not have the {scope} scope.")
    return principal


def own_user_id(request: HttpRequest, uid: int, scope: str) -> User:
    """The caller's user when `uid` is theirs; anyone else's id is a 404, as in the HTML."""
    principal = require(request, scope)
    if principal.user.pk != uid:
        raise ApiProblem(404, "Not found.")
    return principal.user


# For operations open to anonymous callers; OPTIONAL tells the schema the token may be left out.
PUBLIC = TokenAuth(required=False)
OPTIONAL = {"security": [{}]}  # added to the operation's own [{"TokenAuth": []}]
