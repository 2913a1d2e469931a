from django import template

register = template.Library()


@register.filter
def change(value: float | None) -> str:
    """ "+12.5%", "−3.0%", or "new" when the previous period had nothing to compare with."""
    if value is None:
        return "new"
    return f"{value:+.1f}%".replace("-", "\u2212")
