"""Input validation for voucher codes; a refusal after a redirect comes back through the session."""

from django import forms
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

FLASH_KEY = "voucher_error"
NEXT_CHOICES = [("cart", "cart"), ("review", "review")]


class VoucherForm(forms.Form):
    code = forms.CharField(
        label=_("Voucher code"),
        max_length=32,
        error_messages={"required": _("Enter a voucher code."), "max_length": _("This code is not valid.")},
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
    )
    next = forms.ChoiceField(choices=NEXT_CHOICES, required=False)

    def clean_next(self) -> str:
        return self.cleaned_data["next"] or "cart"

    @classmethod
    def for_page(cls, request: HttpRequest) -> "VoucherForm":
        """The form to show: with the refusal of the last try when a plain POST redirected here."""
        flashed = request.session.pop(FLASH_KEY, None) if hasattr(request, "session") else None
        if not flashed:
            return cls()
        form = cls({"code": flashed.get("code", "")})
        form.is_valid()
        form.add_error("code", flashed.get("message", ""))
        return form

    @staticmethod
    def flash(request: HttpRequest, code: str, message: str) -> None:
        request.session[FLASH_KEY] = {"code": code[:32], "message": message}
