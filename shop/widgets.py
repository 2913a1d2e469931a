"""Form widgets rendered in Python where Django's per-option templates cost too much.

Django renders a <select> through `select.html`, which includes `select_option.html` once per option:
for the 250 countries of an address form that was most of the checkout address page's time. SelectFast
writes the same markup directly (escaped, the selected option marked). Choices that depend only on the
language (the countries) can be named with `cache_key`: their escaped options are then built once per
process and language, and a render only marks the selected one.
"""

from html import escape

from django import forms
from django.forms.renderers import DjangoTemplates
from django.forms.utils import flatatt
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData, SafeString, mark_safe
from django.utils.timezone import template_localtime
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


# --- Forms rendered without templates -------------------------------------------------------------


def _text(value) -> str:
    """`{{ value }}` in a template: localized, then escaped unless safe."""
    if not isinstance(value, str):
        value = localize(template_localtime(value))
        if not isinstance(value, str):
            value = str(value)
    return conditional_escape(value)


def _formatted(value) -> str:
    """`{{ value|stringformat:'s' }}`: a safe value stays as it is, anything else is escaped."""
    if isinstance(value, SafeData):
        return str(value)
    return escape("%s" % (value,))  # noqa: UP031 - the filter's own formatting


def _attrs(attrs: dict) -> str:
    """django/forms/attrs.html and widgets/attrs.html: False left out, True as a bare name."""
    return "".join(
        f" {_text(name)}" if value is True else f' {_text(name)}="{_formatted(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def _optional(name: str, value) -> str:
    """`{% if value %} name="{{ value }}"{% endif %}`."""
    return f' {name}="{_text(value)}"' if value else ""


def _input(widget: dict) -> str:
    """django/forms/widgets/input.html, its trailing newline included."""
    value = widget["value"]
    shown = f' value="{_formatted(value)}"' if value is not None else ""
    return f'<input type="{_text(widget["type"])}" name="{_text(widget["name"])}"{shown}{_attrs(widget["attrs"])}>\n'


def _render_input(context: dict) -> str:
    return _input(context["widget"])[:-1]  # a render is stripped


def _render_choices(context: dict) -> str:
    """django/forms/widgets/multiple_input.html with radio or checkbox options (input_option.html)."""
    widget = context["widget"]
    wid = widget["attrs"].get("id")
    css = widget["attrs"].get("class")
    parts = [f"<div{_optional('id', wid)}{_optional('class', css)}>"]
    for group, options, _index in widget["optgroups"]:
        if group:
            parts.append(f"\n  <div><label>{_text(group)}</label>")
        for option in options:
            if option["template_name"] not in _OPTION_TEMPLATES:
                raise _Unknown
            if option["wrap_label"]:
                label = f"<label{_optional('for', option['attrs'].get('id'))}>"
                markup = f"{label}{_input(option)} {_text(option['label'])}</label>\n\n"
            else:
                markup = f"{_input(option)}\n\n"
            parts.append(f"<div>\n    {markup}</div>")
        if group:
            parts.append("\n  </div>")
    parts.append("\n</div>")
    return "".join(parts)


def _render_errors(context: dict) -> str:
    """django/forms/errors/list/ul.html."""
    errors = context["errors"]
    if not errors:
        return ""
    field_id = getattr(errors, "field_id", None)
    ident = f' id="{_text(field_id)}_error"' if field_id else ""
    items = "".join(f"<li>{_text(error)}</li>" for error in errors)
    return f'<ul class="{_text(context["error_class"])}"{ident}>{items}</ul>'


def _render_label(context: dict) -> str:
    """django/forms/label.html."""
    if not context["use_tag"]:
        return _text(context["label"])
    tag = _text(context["tag"])
    return f"<{tag}{_attrs(context['attrs'] or {})}>{_text(context['label'])}</{tag}>"


def _render_field(context: dict) -> str:
    """django/forms/field.html."""
    field = context["field"]
    if field.use_fieldset:
        head = f"\n  <fieldset{_optional('aria-describedby', field.aria_describedby)}>\n  "
        head += f"{_text(field.legend_tag())}\n" if field.label else "\n"
    else:
        head = f"\n  {_text(field.label_tag())}\n" if field.label else "\n  \n"
    help_html = ""
    if field.help_text:
        ident = f' id="{_text(field.auto_id)}_helptext"' if field.auto_id else ""
        help_html = f'<div class="helptext"{ident}>{field.help_text}</div>'
    tail = "</fieldset>" if field.use_fieldset else ""
    return f"{head}\n{help_html}\n{_text(field.errors)}\n{_text(field)}{tail}".strip()


def _render_form(context: dict) -> str:
    """django/forms/div.html."""
    errors, fields, hidden = context["errors"], context["fields"], context["hidden_fields"]
    hidden_html = "".join(_text(field) for field in hidden)
    parts = [f"{_text(errors)}\n"]
    if errors and not fields:
        parts.append(f"\n  <div>{hidden_html}</div>\n")
    parts.append("\n")
    for number, (field, _errors) in enumerate(fields, 1):
        classes = field.css_classes()
        css = f' class="{_text(classes)}"' if classes else ""
        last = f"\n      {hidden_html}\n    " if number == len(fields) else ""
        parts.append(f"\n  <div{css}>\n    {_text(field.as_field_group())}\n    {last}\n</div>\n")
    parts.append("\n")
    if not fields and not errors:
        parts.append(f"\n  {hidden_html}\n")
    return "".join(parts).strip()


class _Unknown(Exception):
    """A template this renderer does not write itself: Django's template renders it."""


_INPUTS = ("text", "email", "number", "password", "hidden", "url", "search", "tel", "checkbox", "date", "input")
_OPTION_TEMPLATES = {"django/forms/widgets/radio_option.html", "django/forms/widgets/checkbox_option.html"}
_WRITERS = {
    **{f"django/forms/widgets/{name}.html": _render_input for name in _INPUTS},
    "django/forms/widgets/radio.html": _render_choices,
    "django/forms/widgets/checkbox_select.html": _render_choices,
    "django/forms/errors/list/default.html": _render_errors,
    "django/forms/errors/list/ul.html": _render_errors,
    "django/forms/label.html": _render_label,
    "django/forms/field.html": _render_field,
    "django/forms/div.html": _render_form,
}


class FastFormRenderer(DjangoTemplates):
    """Django's form renderer, with the built-in templates of the div layout, labels, errors, inputs and radio
    buttons written in Python, character for character (tests/shop/test_widgets.py compares them).

    A form of ten fields rendered through ~60 small templates cost milliseconds; this costs a few tens of
    microseconds. Any other template (a textarea, a project override) renders through Django as usual.
    """

    def render(self, template_name, context, request=None):
        writer = _WRITERS.get(template_name)
        if writer is not None:
            try:
                return writer(context)
            except _Unknown:
                pass
        return super().render(template_name, context, request)


fast_form_renderer = FastFormRenderer()
