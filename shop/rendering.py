"""Page or fragment: one URL answers a plain request with the page and htmx with a partial of it."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers


def wants_fragment(request: HttpRequest) -> bool:
    """True for an htmx request (boosted ones included: our boosted forms target a fragment), False for a
    plain request and for htmx's history restore, which asks for the whole page when its cache misses."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request


def render_page_or_fragment(
    request: HttpRequest, template: str, context: dict, *, fragment: str, status: int = 200
) -> HttpResponse:
    """`template`, or only its partial `fragment` when `wants_fragment`; `Vary: HX-Request` keeps caches apart."""
    name = f"{template}#{fragment}" if wants_fragment(request) else template
    response = render(request, name, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response
