"""Input validation for cart changes: whole numbers only; the services cap and explain."""

from django import forms
from django.utils.translation import gettext_lazy as _

QUANTITY_ERRORS = {
    "required": _("Enter a quantity."),
    "invalid": _("Enter a whole number."),
    "min_value": _("Enter a quantity of %(limit_value)s or more."),
}
VARIANTS = [("list", "list"), ("detail", "detail")]


class AddToCartForm(forms.Form):
    product = forms.IntegerField(min_value=1)
    # The detail page's chosen variant; list cards of single-variant products leave it out.
    variant_id = forms.IntegerField(min_value=1, max_value=2**63 - 1, required=False)
    quantity = forms.IntegerField(min_value=1, required=False, error_messages=QUANTITY_ERRORS)
    # Which add-to-cart form to answer htmx with: the list card's button or the detail page's form.
    variant = forms.ChoiceField(choices=VARIANTS, required=False)
    next = forms.CharField(required=False, max_length=2000)

    def clean_quantity(self) -> int:
        return self.cleaned_data["quantity"] or 1

    def clean_variant(self) -> str:
        return self.cleaned_data["variant"] or "list"


class QuantityForm(forms.Form):
    quantity = forms.IntegerField(min_value=0, error_messages=QUANTITY_ERRORS)
