"""Session checks on every request, the htmx login redirect, and the storefront password gate."""

from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.utils import translation
from django.utils.deprecation import MiddlewareMixin
from django.utils.functional import empty
from django_htmx.http import HttpResponseClientRedirect
from django_htmx.middleware import HtmxDetails

from accounts import gate
from accounts.net import client_ip, ip_prefix


def login_redirect(request: HttpRequest, *, expired: bool = False) -> HttpResponse:
    """Send the visitor to the login page, keeping where they were; htmx gets HX-Redirect, never a swapped form."""
    htmx = HtmxDetails(request)
    next_url = (htmx.current_url_abs_path or "/") if htmx else request.get_full_path()
    query = {"next": next_url}
    if expired:
        query["expired"] = "1"
    url = f"{resolve_url(settings.LOGIN_URL)}?{urlencode(query)}"
    return HttpResponseClientRedirect(url) if htmx else HttpResponseRedirect(url)


class SessionMiddleware(DjangoSessionMiddleware):
    """Django's session middleware on our store: checks the token up front and slides the idle expiry."""

    def process_request(self, request: HttpRequest) -> HttpResponse | None:
        super().process_request(request)
        session = request.session
        session.user_agent = request.META.get("HTTP_USER_AGENT", "")[:300]
        session.ip_prefix = ip_prefix(client_ip(request))
        if session.session_key is None:
            return None
        session.load_now()
        if session.expired_key is None:
            return None
        session.delete(session.expired_key)
        if session.expired_user_id is None or request.path == resolve_url(settings.LOGIN_URL):
            return None
        return login_redirect(request, expired=True)

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        session = getattr(request, "session", None)
        # A response may say it is no activity (a live stream held open): the idle expiry does not slide.
        active = getattr(response, "session_activity", True)
        if session is not None and not session.modified and response.status_code != 500 and active:
            session.touch()
        return super().process_response(request, response)


class HtmxLoginRedirectMiddleware(MiddlewareMixin):
    """A login redirect answering an htmx request becomes HX-Redirect: the whole page goes to the login form."""

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if response.status_code in (301, 302) and getattr(request, "htmx", False):
            if urlsplit(response["Location"]).path == resolve_url(settings.LOGIN_URL):
                return login_redirect(request)
        return response


class StorefrontGateMiddleware(MiddlewareMixin):
    """With SHOP_PASSWORD set, answer storefront requests with the password page unless the gate token is valid."""

    def process_request(self, request: HttpRequest) -> HttpResponse | None:
        if not gate.gate_enabled() or gate.gate_exempt(request.path):
            return None
        if gate.gate_token_valid(request):
            request.gate_token_slide = True
            return None
        if request.user.is_staff:
            # Staff see the storefront (and the /staff/ pages) before launch without the shop password.
            return None
        from accounts.views import storefront_password_page

        response = storefront_password_page(request)
        if HtmxDetails(request):
            # The whole page reloads into the password page; a fragment swap would hide it.
            response["HX-Refresh"] = "true"
        return response

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if getattr(request, "gate_token_slide", False):
            gate.gate_token_issue(response)
        return response


class UserLanguageMiddleware(MiddlewareMixin):
    """Remember the language a logged-in user last used, for the mail a worker sends later (User.language).

    Only when the request loaded the user anyway and the language changed: one UPDATE per change, no query
    otherwise. After LocaleMiddleware and AuthenticationMiddleware.
    """

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is None or getattr(user, "_wrapped", None) is empty or not user.is_authenticated:
            return response
        language = getattr(request, "LANGUAGE_CODE", None) or translation.get_language()
        if language and language != user.language:
            get_user_model()._default_manager.filter(pk=user.pk).update(language=language)
            user.language = language
        return response
