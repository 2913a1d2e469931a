"""Form widgets rendered in Python where Django's per-option templates cost too much.

Django renders a <select> through `select.html`, which includes `select_option.html` once per option:
for the 250 countries of an address form that was most of the checkout address page's time. SelectFast
writes the same markup directly (escaped, the selected option marked). Choices that depend only on the
language (the countries) can be named with `cache_key`: their escaped options are then built once per
process and language, and a render only marks the selected one.
"""

from html import escape

from django import forms
from django.forms.utils import flatatt
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

# (cache_key, language) -> [(escaped group label or None, [(value, escaped value, escaped label), ...])]
_OPTIONS: dict[tuple[str, str | None], list] = {}


class SelectFast(forms.Select):
    """A single-choice <select> with the markup of forms.Select, rendered without templates."""

    def __init__(self, attrs=None, choices=(), *, cache_key: str = "") -> None:
        super().__init__(attrs, choices)
        self.cache_key = cache_key

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        final = self.build_attrs(self.attrs, attrs)
        final["name"] = name
        selected = {str(v) for v in self.format_value(value)}
        parts = [f"<select{flatatt(final)}>"]
        chosen = False
        for group, options in self._options():
            if group is not None:
                parts.append(f'<optgroup label="{group}">')
            for option_value, value_html, label_html in options:
                mark = ""
                if not chosen and option_value in selected:
                    mark, chosen = " selected", True
                parts.append(f'<option value="{value_html}"{mark}>{label_html}</option>')
            if group is not None:
                parts.append("</optgroup>")
        parts.append("</select>")
        return mark_safe("".join(parts))  # noqa: S308 -- attributes via flatatt, values and labels escaped

    def use_required_attribute(self, initial) -> bool:
        """As Select: `required` only when the first option is the empty one (from the cached options)."""
        if not self.cache_key:
            return super().use_required_attribute(initial)
        first = next((option for _, options in self._options() for option in options), None)
        return not self.is_hidden and first is not None and first[0] == ""

    def _options(self) -> list:
        if not self.cache_key:
            return self._build_options()
        key = (self.cache_key, get_language())
        options = _OPTIONS.get(key)
        if options is None:
            options = _OPTIONS[key] = self._build_options()
        return options

    def _build_options(self) -> list:
        """The choices grouped as Select.optgroups groups them, escaped once."""

        def option(option_value, label):
            option_value = "" if option_value is None else str(option_value)
            return option_value, escape(option_value), escape(str(label))

        groups: list = []
        loose: list = []
        for option_value, label in self.choices:
            if isinstance(label, (list, tuple)):
                if loose:
                    groups.append((None, loose))
                    loose = []
                groups.append((escape(str(option_value)), [option(v, lab) for v, lab in label]))
            else:
                loose.append(option(option_value, label))
        if loose:
            groups.append((None, loose))
        return groups
