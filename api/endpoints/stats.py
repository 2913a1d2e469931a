"""Usage statistics (log an action; read daily figures from the internal network) and e-mail via the outbox."""

from datetime import date

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from analytics import selectors as analytics_selectors
from analytics import services as analytics_services
from analytics.models import EventName
from analytics.views import ip_allowed
from api.auth import require
from api.errors import ApiProblem
from api.http import idempotent
from api.models import Scope
from api.schemas import ERRORS, Accepted, EmailIn, EmailOut, LogIn, LogReport, Problem
from notifications import services as mail_services
from notifications.models import Message

router = Router(tags=["statistics and e-mail"])
# What integrations may send: the kinds whose templates need no more than plain strings.
API_MAIL_KINDS = (Message.Kind.TEST, Message.Kind.WELCOME)


@router.post("/log", response={202: Accepted, ERRORS: Problem}, summary="Log an action")
def log_action(request: HttpRequest, body: LogIn):
    """Shoppers log their own actions; staff tokens may log for any user id."""
    user = require(request, Scope.STATS_WRITE).user
    if body.user_id is not None and body.user_id != user.pk and not user.is_staff:
        raise ApiProblem(404, "Not found.")
    if body.action not in EventName.values:
        raise ApiProblem(422, f"Unknown action {body.action!r}; actions are {', '.join(EventName.values)}.")
    allowed = set(analytics_services.PROPS.get(body.action, {}))
    if unknown := set(body.props) - allowed:
        raise ApiProblem(
            422,
            f"{body.action} takes no {', '.join(sorted(unknown))} "
            f"(it takes: {', '.join(sorted(allowed)) or 'nothing'}).",
        )
    analytics_services.event_record_for(
        name=body.action,
        user_id=body.user_id if body.user_id is not None else user.pk,
        object_id=body.object_id,
        props=body.props or None,
    )
    return Status(202, Accepted(accepted=True))


class Period(Schema):
    start: date | None = Field(None, alias="from")
    end: date | None = Field(None, alias="to")


@router.get("/log", response={200: LogReport, ERRORS: Problem}, summary="Daily figures (internal network, staff)")
def log_report(request: HttpRequest, period: Query[Period]):
    # Outside ANALYTICS_ALLOWED_IPS the endpoint does not exist, as the HTML report.
    if not ip_allowed(request.auth.ip):
        raise ApiProblem(404, "Not found.")
    require(request, Scope.STATS_READ)
    try:
        chosen = analytics_selectors.period_make(period.start, period.end)
    except analytics_selectors.InvalidPeriod as exc:
        raise ApiProblem(422, str(exc)) from None
    analytics_services.rollup_pending(start=chosen.start, end=chosen.end)
    rows = analytics_selectors.daily_rows(period=chosen)
    return LogReport(start=chosen.start.isoformat(), end=chosen.end.isoformat(), days=rows)


@router.post("/send_email/", response={202: EmailOut, ERRORS: Problem}, summary="Send an e-mail (staff)")
@idempotent
def send_email(request: HttpRequest, body: EmailIn):
    """Queued in the outbox: delivered by a worker within its rate limits (bulk mail over a limit is dropped).

    The recipient must be a registered user's address.
    """
    require(request, Scope.MAIL_SEND)
    if body.kind not in API_MAIL_KINDS:
        raise ApiProblem(422, f"kind must be one of {', '.join(API_MAIL_KINDS)}.")
    try:
        message = mail_services.mail_enqueue(to=body.to, kind=body.kind, context=body.context, bulk=body.bulk)
    except mail_services.UnknownRecipient as exc:
        raise ApiProblem(422, str(exc)) from None
    return 202, EmailOut(id=message.pk, status=message.status)
