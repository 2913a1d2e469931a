"""Users: register (anyone), read, change and delete one's own account (staff may read any)."""

from django.http import HttpRequest
from ninja import Router, Status

from accounts import services as account_services
from accounts.models import User
from api.auth import OPTIONAL, PUBLIC, require
from api.errors import ApiProblem
from api.http import idempotent
from api.models import Scope
from api.schemas import ERRORS, Created, PasswordIn, Problem, UserIn, UserOut, UserUpdate

router = Router(tags=["users"])


def _user_for(request: HttpRequest, uid: int, *, read: bool = False) -> User:
    """The caller's own account; staff may read (not change) anyone's. Any other id is a 404."""
    principal = require(request, Scope.ACCOUNT)
    if principal.user.pk == uid:
        return principal.user
    if read and principal.user.is_staff:
        user = User.objects.filter(pk=uid).first()
        if user is not None:
            return user
    raise ApiProblem(404, "Not found.")


@router.post(
    "/user/", response={201: Created, ERRORS: Problem}, summary="Register a user", auth=PUBLIC, openapi_extra=OPTIONAL
)
@idempotent
def user_create(request: HttpRequest, body: UserIn):
    user = account_services.user_register(email=body.email, password=body.password, name=body.name)
    return 201, Created(id=user.pk)


def user_out(user: User, email_pending: str | None = None) -> UserOut:
    return UserOut(
        id=user.pk,
        email=user.email,
        name=user.name,
        is_staff=user.is_staff,
        date_joined=user.date_joined,
        email_pending=email_pending,
    )


@router.get("/user/{uid}", response={200: UserOut, ERRORS: Problem})
def user_detail(request: HttpRequest, uid: int):
    return user_out(_user_for(request, uid, read=True))


@router.put("/user/{uid}", response={200: UserOut, ERRORS: Problem}, summary="Change name or e-mail")
def user_update(request: HttpRequest, uid: int, body: UserUpdate):
    user = _user_for(request, uid)
    email = body.email if body.email is not None else user.email
    if User.objects.normalize_email(email).lower() != user.email.lower() and not user.check_password(
        body.password or ""
    ):
        raise ApiProblem(403, "Changing the e-mail address needs the current password.")
    name = body.name if body.name is not None else user.name
    pending = account_services.user_update_profile(user=user, name=name, email=email)
    return user_out(user, email_pending=pending)


@router.delete("/user/{uid}", response={204: None, ERRORS: Problem}, summary="Delete the account")
def user_delete(request: HttpRequest, uid: int, body: PasswordIn):
    user = _user_for(request, uid)
    if not user.check_password(body.password):
        raise ApiProblem(403, "Deleting the account needs the current password.")
    account_services.user_delete(user=user)
    return Status(204, None)
