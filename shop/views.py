"""Site-wide views: health probes, the page-view beacon of pages from a shared cache. (The home page is
catalog.views.home.)"""

import logging

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.db.models import Count, Min
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django.views.static import serve

from analytics.models import EventName
from analytics.services import event_record
from catalog import selectors as catalog_selectors
from catalog import services as catalog_services
from shop import lifecycle

logger = logging.getLogger(__name__)


@never_cache
@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness: the process answers. Touches no database."""
    return HttpResponse("ok\n", content_type="text/plain")


@never_cache
@require_safe
def page_seen(request: HttpRequest) -> HttpResponse:
    """What a page from a shared cache could not do for its visitor: record the view (`?product=<id>`: a
    product page; `?q=<search>&results=<n>`: a search) and, for a product, remember it as recently viewed.

    The page (shop/shared.py) asks for it once loaded; the answer is private and may set this visitor's
    cookies (analytics' visitor id, recently viewed). Analytics' rules apply as on any page (DNT, GPC, bots).
    """
    response = HttpResponse(status=204)
    product = _bounded_int(request.GET.get("product"))
    results = _bounded_int(request.GET.get("results"))
    query = request.GET.get("q", "").strip()
    if product is not None:
        event_record(request, EventName.PRODUCT_VIEWED, object_id=product)
        catalog_services.recently_viewed_push(response, catalog_selectors.recently_viewed_ids(request), product)
    elif query and results is not None:
        event_record(request, EventName.SEARCH, props={"query": query, "results": results})
    return response


def _bounded_int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and 0 < len(value) < 12 else None


@never_cache
@require_safe
def readyz(request: HttpRequest) -> HttpResponse:
    """Readiness, as JSON: database, cache and task backlog, each with its status.

    503 only when this instance cannot serve: the database does not answer, or the server is draining
    before a stop (shop/lifecycle.py). A cache that is down is reported as degraded, with 200: every page
    works without it.
    """
    checks = {"database": _database_check()}
    checks["cache"] = _cache_check()
    checks["tasks"] = _tasks_check() if checks["database"]["status"] == "ok" else {"status": "unknown"}
    draining = lifecycle.draining()
    ready = checks["database"]["status"] == "ok" and not draining
    status = (
        "draining"
        if draining
        else "ok"
        if ready and checks["cache"]["status"] == "ok"
        else ("degraded" if ready else "unavailable")
    )
    return JsonResponse({"status": status, "checks": checks}, status=200 if ready else 503)


def _database_check() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        logger.warning("readiness check failed", extra={"error": str(exc)})
        return {"status": "unavailable", "error": str(exc).strip()}
    return {"status": "ok"}


def _cache_check() -> dict:
    backend = cache.__class__.__name__
    ping = getattr(cache, "ping", None)
    error = ping() if ping is not None else ""
    if error:
        return {"status": "degraded", "backend": backend, "error": error}
    return {"status": "ok", "backend": backend}


def _tasks_check() -> dict:
    """Tasks due and not yet taken by a worker, and how long the oldest has waited."""
    from django_tasks_db.models import DBTaskResult

    try:
        backlog = DBTaskResult.objects.ready().aggregate(count=Count("pk"), oldest=Min("enqueued_at"))
    except DatabaseError as exc:
        return {"status": "unknown", "error": str(exc).strip()}
    oldest = backlog["oldest"]
    return {
        "status": "ok",
        "backlog": backlog["count"],
        "oldest_seconds": round((timezone.now() - oldest).total_seconds(), 1) if oldest else 0,
    }


@require_safe
def media(request: HttpRequest, path: str) -> HttpResponse:
    """Uploaded files from MEDIA_ROOT (mounted when SERVE_MEDIA is on; a proxy or CDN does it at scale).

    Browsers and shared caches keep them for MEDIA_CACHE_SECONDS, then revalidate with If-Modified-Since
    (a 304 without the body). Not `immutable`: a replaced file may come back under a freed name.
    """
    response = serve(request, path, document_root=settings.MEDIA_ROOT)
    if response.status_code in (200, 304):
        patch_cache_control(response, public=True, max_age=settings.MEDIA_CACHE_SECONDS)
    return response
