"""Sets the analytics visitor cookie when a request recorded the visitor's first event."""

from django.conf import settings

from analytics.services import VISITOR_COOKIE


class VisitorCookieMiddleware:
    """The cookie holds a random token (no IP, no user data) and is set only when an event was recorded,
    so visitors sending Do-Not-Track or Sec-GPC, and bots, never get one."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        token = getattr(request, "analytics_new_visitor", None)
        if token:
            response.set_cookie(
                VISITOR_COOKIE,
                token,
                max_age=settings.ANALYTICS_VISITOR_TTL,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response
