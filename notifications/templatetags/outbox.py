from django import template

from notifications.services import absolute_url as make_absolute

register = template.Library()


@register.filter
def absolute_url(path: str) -> str:
    """A site path made absolute with SHOP_BASE_URL (mail has no request to take the host from)."""
    return make_absolute(str(path)) if path else ""
