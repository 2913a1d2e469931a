from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext

register = template.Library()


@register.filter
def change(value: float | None) -> str:
    """ "+12.5%", "−3.0%", or "new" when the previous period had nothing to compare with."""
    if value is None:
        return gettext("new")
    sign = "+" if value >= 0 else "\u2212"
    return f"{sign}{number_format(abs(value), decimal_pos=1, use_l10n=True)}%"
