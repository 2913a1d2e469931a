"""Session tokens for apps: log in with a password, get a short-lived token; log out revokes it."""

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Status

from api import services
from api.auth import OPTIONAL, PUBLIC, require_token
from api.errors import ApiProblem
from api.schemas import ERRORS, LoginIn, Problem, TokenOut

router = Router(tags=["auth"])


@router.post(
    "/auth/session",
    response={201: TokenOut, ERRORS: Problem},
    summary="Log in: a session token",
    auth=PUBLIC,
    openapi_extra=OPTIONAL,
)
def session_login(request: HttpRequest, body: LoginIn):
    # Failures count towards login throttling; once locked out, django-axes answers 429 (a problem).
    new = services.session_token_login(request=request, email=body.email, password=body.password)
    if new is None:
        raise ApiProblem(401, "Wrong e-mail address or password.")
    return Status(201, _token_out(new))


@router.delete("/auth/session", response={204: None, ERRORS: Problem}, summary="Log out: revoke this token")
def session_logout(request: HttpRequest):
    principal = require_token(request)
    services.token_revoke(user=principal.user, token_id=principal.token.pk)
    return Status(204, None)


def _token_out(new: services.NewToken) -> TokenOut:
    token = new.token
    return TokenOut(
        token=new.secret,
        expires_at=token.expires_at,
        expires_in=int((token.expires_at - timezone.now()).total_seconds()),
        scopes=token.scopes,
    )
