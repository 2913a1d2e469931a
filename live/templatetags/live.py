"""`{% live_connect %}`: the attributes that open the page's push channel, on the element that holds it.

Output only when there is something to hear (a logged-in browser, or topics asked for), so anonymous
visitors of ordinary pages open no connection at all.
"""

from urllib.parse import urlencode

from django import template
from django.conf import settings
from django.urls import reverse
from django.utils.html import format_html

register = template.Library()


@register.simple_tag(takes_context=True)
def live_connect(context, order=None, product=None):
    if not settings.LIVE_ENABLED:
        return ""
    request = context.get("request")
    user = getattr(request, "user", None)
    query = [(name, value) for name, value in (("order", order), ("product", product)) if value]
    if not query and not getattr(user, "is_authenticated", False):
        return ""
    url = reverse("live:stream") + (f"?{urlencode(query)}" if query else "")
    return format_html(' hx-ext="sse" sse-connect="{}" data-live', url)
