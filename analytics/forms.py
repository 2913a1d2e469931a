"""The report's period: from/to dates or a preset, validated by analytics.selectors.period_make."""

from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from analytics.selectors import PRESETS, InvalidPeriod, Period, period_make

_last_days = lazy(lambda n: gettext("Last %(days)s days") % {"days": n}, str)


class DateInput(forms.DateInput):
    input_type = "date"


class ReportForm(forms.Form):
    """`?from=YYYY-MM-DD&to=YYYY-MM-DD` or `?days=7|30|90`; nothing means the last 30 days."""

    days = forms.TypedChoiceField(
        label=_("Preset"),
        choices=[("", "—")] + [(n, _last_days(n)) for n in PRESETS],
        coerce=int,
        required=False,
        empty_value=None,
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        # "from" is a Python keyword, so these two fields are added by name.
        date_field = {"required": False, "input_formats": ["%Y-%m-%d"], "widget": DateInput(format="%Y-%m-%d")}
        self.fields["from"] = forms.DateField(label=_("From"), **date_field)
        self.fields["to"] = forms.DateField(label=_("To"), **date_field)
        self.order_fields(["from", "to", "days"])

    def clean(self) -> dict:
        data = super().clean()
        if self.errors:
            return data
        try:
            data["period"] = period_make(data.get("from"), data.get("to"), days=data.get("days"))
        except InvalidPeriod as exc:
            raise forms.ValidationError(str(exc)) from None
        return data

    @classmethod
    def for_period(cls, period: Period) -> "ReportForm":
        """The form showing the dates of a resolved period (a preset shows its dates too)."""
        return cls({"from": period.start.isoformat(), "to": period.end.isoformat()})
