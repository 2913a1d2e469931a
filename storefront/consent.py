"""The cookie notice: shown only while the shop sets a cookie that is not strictly necessary.

The only such cookie is the analytics visitor cookie (`shop_visitor`). The answer is kept in the
`shop_consent` cookie (itself necessary: it records the refusal); analytics records nothing for a visitor
who declined, and with ANALYTICS_REQUIRE_CONSENT nothing before the visitor allowed it.
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse

COOKIE = "shop_consent"
ALLOW, DECLINE = "allow", "decline"
CHOICES = (ALLOW, DECLINE)
MAX_AGE = 180 * 24 * 3600


def choice(request: HttpRequest) -> str:
    value = request.COOKIES.get(COOKIE, "")
    return value if value in CHOICES else ""


def analytics_permitted(request: HttpRequest) -> bool:
    """The visitor's cookie choice allows the analytics cookie."""
    answer = choice(request)
    if answer == DECLINE:
        return False
    return answer == ALLOW or not settings.ANALYTICS_REQUIRE_CONSENT


def notice_needed(request: HttpRequest) -> bool:
    """A non-essential cookie may be set for this visitor and they have not answered yet."""
    if not settings.ANALYTICS_ENABLED or choice(request):
        return False
    meta = request.META
    # Visitors asking not to be tracked never get the analytics cookie: nothing to ask them.
    return not (meta.get("HTTP_DNT") == "1" or meta.get("HTTP_SEC_GPC") == "1")


def remember(response: HttpResponse, answer: str) -> None:
    response.set_cookie(
        COOKIE, answer, max_age=MAX_AGE, secure=settings.SESSION_COOKIE_SECURE, httponly=True, samesite="Lax"
    )
