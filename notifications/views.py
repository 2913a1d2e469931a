"""Staff preview of every kind of mail, rendered with sample data by the same code that sends it."""

from django.contrib.admin.views.decorators import staff_member_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from notifications.models import Message
from notifications.samples import SAMPLES
from notifications.services import RenderedMail, message_render


def _sample(kind: str) -> RenderedMail:
    if kind not in Message.Kind.values:
        raise Http404("No such kind of mail.")
    return message_render(kind, SAMPLES[kind])


@staff_member_required
@require_safe
def preview_list(request: HttpRequest) -> HttpResponse:
    return render(request, "notifications/preview_list.html", {"kinds": Message.Kind.choices})


@staff_member_required
@require_safe
def preview(request: HttpRequest, kind: str) -> HttpResponse:
    ctx = {"kind": kind, "label": Message.Kind(kind).label if kind in Message.Kind.values else kind}
    return render(request, "notifications/preview.html", {**ctx, "mail": _sample(kind)})


@staff_member_required
@require_safe
def preview_html(request: HttpRequest, kind: str) -> HttpResponse:
    """The HTML part alone, as a mail client would show it."""
    return HttpResponse(_sample(kind).html)
