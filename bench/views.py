"""The two floors every page is measured against in the same run (see bench/run.py)."""

from django.contrib.contenttypes.models import ContentType
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def hello(request: HttpRequest) -> HttpResponse:
    """No database, no template: what the framework alone costs."""
    return HttpResponse("hello")


def db(request: HttpRequest) -> HttpResponse:
    """A small template over one indexed query (the content-type table's unique index)."""
    rows = ContentType.objects.filter(app_label="auth").order_by("model")
    return render(request, "bench/db.html", {"rows": rows})
