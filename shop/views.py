"""Site-wide views: health probes. (The home page is catalog.views.home.)"""

import logging

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django.views.static import serve

logger = logging.getLogger(__name__)


@never_cache
@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness: the process answers. Touches no database."""
    return HttpResponse("ok\n", content_type="text/plain")


@never_cache
@require_safe
def readyz(request: HttpRequest) -> HttpResponse:
    """Readiness: 200 only when the database answers a query; 503 with the reason otherwise."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        logger.warning("readiness check failed", extra={"error": str(exc)})
        return HttpResponse(f"database unavailable: {exc}\n", status=503, content_type="text/plain")
    return HttpResponse("ok\n", content_type="text/plain")


@require_safe
def media(request: HttpRequest, path: str) -> HttpResponse:
    """Uploaded files from MEDIA_ROOT (mounted when SERVE_MEDIA is on; a proxy or CDN does it at scale)."""
    return serve(request, path, document_root=settings.MEDIA_ROOT)
