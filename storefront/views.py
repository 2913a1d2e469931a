"""Content pages, robots.txt, the site stylesheet, the cookie choice, the language switch, and error pages that
need no database."""

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import render
from django.template import loader
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from shop import i18n
from shop.shared import csrf_fresh_visitor, shared_page
from storefront import consent, stylesheet
from storefront.models import Page
from storefront.selectors import chrome_get_cached_only


def _published(request: HttpRequest, slug: str) -> Page | None:
    """The published page, read once per request (its ETag and the view both need it)."""
    if not hasattr(request, "_content_page"):
        request._content_page = Page.objects.filter(slug=slug, is_published=True).first()
    return request._content_page


@require_safe
@shared_page(etag_extra=lambda request, slug: str(getattr(_published(request, slug), "updated_at", "")))
def page_detail(request: HttpRequest, slug: str) -> HttpResponse:
    page = _published(request, slug)
    if page is None:
        raise Http404("No such page.")
    return render(request, "storefront/page.html", {"content_page": page})


@require_safe
def robots_txt(request: HttpRequest) -> HttpResponse:
    lines = ["User-agent: *"]
    lines += [f"Disallow: {path}" for path in settings.SEO_ROBOTS_DISALLOW]
    lines.append(f"Sitemap: {request.build_absolute_uri(reverse('sitemap-index'))}")
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


@require_safe
def site_stylesheet(request: HttpRequest, digest: str) -> HttpResponse:
    """The one stylesheet: every CSS file of the shop plus the brand's colours, named by its content's hash."""
    css, current = stylesheet.bundle()
    response = HttpResponse(css, content_type="text/css; charset=utf-8")
    if digest == current:
        patch_cache_control(response, public=True, max_age=365 * 24 * 3600, immutable=True)
    else:  # an older page asked for a former version: serve the current one, briefly cached
        patch_cache_control(response, public=True, max_age=60)
    return response


@csrf_fresh_visitor  # the notice on a page from a shared cache posts without a token (shop/shared.py)
@require_POST
def cookie_choice(request: HttpRequest) -> HttpResponse:
    """Remember the visitor's answer to the cookie notice, then go back where they were."""
    choice = request.POST.get("choice", "")
    if choice not in consent.CHOICES:
        return HttpResponseBadRequest(_("Choose allow or decline."), content_type="text/plain")
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        target = reverse("home")
    response = HttpResponseRedirect(target)
    consent.remember(response, choice)
    return response


@require_safe
def language_switch(request: HttpRequest) -> HttpResponse:
    """`?lang=de&next=/products/`: remember the language (the cookie LocaleMiddleware reads) and show `next` in it.

    A GET link rather than Django's set_language (a POST with a CSRF token): pages from a shared cache carry
    no token, and a link works without JavaScript. Choosing a language changes nothing but the language.
    """
    language = request.GET.get("lang", "")
    if language not in dict(settings.LANGUAGES):
        codes = ", ".join(code for code, _ in settings.LANGUAGES)
        message = _("Unknown language %(language)r: choose one of %(codes)s.") % {"language": language, "codes": codes}
        return HttpResponseBadRequest(message, content_type="text/plain")
    target = i18n.safe_next(request, request.GET.get("next")) or reverse("home")
    path, query = target.split("?", 1) if "?" in target else (target, "")
    if i18n.is_storefront_path(i18n.strip_language(path)[1]):
        target = i18n.url_for_language(path, language) + (f"?{query}" if query else "")
    response = HttpResponseRedirect(target)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        samesite="Lax",
    )
    patch_cache_control(response, private=True, no_store=True)
    return response


def _error(template: str, status: int):
    def view(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
        # No request context: context processors would read the session, the user and the cart.
        html = loader.render_to_string(template, {"chrome": chrome_get_cached_only(), **stylesheet.context()})
        return HttpResponse(html, status=status)

    view.__name__ = f"error_{status}"
    return view


bad_request = _error("400.html", 400)
permission_denied = _error("403.html", 403)
page_not_found = _error("404.html", 404)
server_error = _error("500.html", 500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    html = loader.render_to_string("403_csrf.html", {"chrome": chrome_get_cached_only(), **stylesheet.context()})
    return HttpResponse(html, status=403)
