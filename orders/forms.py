"""Input validation for checkout and payment. No card data: the provider's hosted page takes it."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from stdnum.eu import vat as eu_vat

from accounts.forms import AddressForm
from accounts.models import Address
from catalog.money import format_money
from pricing import tax
from shop.widgets import fast_form_renderer


class AddressChoiceForm(forms.Form):
    """Step 1: an address from the book, or a new one (the fields of NewAddressForm)."""

    default_renderer = fast_form_renderer  # Django's markup, without its templates

    address = forms.ChoiceField(label=_("Ship to"), widget=forms.RadioSelect)

    def __init__(self, *args, addresses: list[Address], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choices = [(str(a.pk), ", ".join(a.lines())) for a in addresses]
        self.fields["address"].choices = [*choices, ("new", _("A new address"))]


class NewAddressForm(AddressForm):
    default_renderer = fast_form_renderer  # Django's markup, without its templates

    save_to_book = forms.BooleanField(label=_("Save it in my address book"), required=False, initial=True)

    def __init__(self, *args, bookable: bool = True, **kwargs) -> None:
        kwargs.setdefault("auto_id", "id_new_%s")
        kwargs.setdefault("prefix", "new")
        super().__init__(*args, **kwargs)
        if not bookable:  # a guest has no address book
            del self.fields["save_to_book"]


class BusinessForm(forms.Form):
    """Step 1, optional: buying as a business. A VAT number of valid format from another EU country than the
    seller's, shipped to such a country, means reverse charge (no VAT)."""

    default_renderer = fast_form_renderer  # Django's markup, without its templates

    company = forms.CharField(
        label=_("Company name"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    vat_number = forms.CharField(
        label=_("VAT number"),
        max_length=20,
        required=False,
        help_text=_("Businesses in the EU: with the country prefix, for example DE136695976."),
    )

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("prefix", "business")
        super().__init__(*args, **kwargs)

    def clean_vat_number(self) -> str:
        number = self.cleaned_data["vat_number"]
        if not number:
            return ""
        if not tax.vat_number_valid(number):
            raise forms.ValidationError(
                _(
                    "This is not a valid EU VAT number: check the country prefix and the digits "
                    "(for example DE136695976)."
                )
            )
        return eu_vat.compact(number)

    def clean(self) -> dict:
        data = super().clean()
        if data.get("vat_number") and not data.get("company"):
            self.add_error("company", _("Enter the company name that goes with the VAT number."))
        return data


class GuestForm(forms.Form):
    """The first step for a visitor without an account: where the confirmation and the order link go."""

    default_renderer = fast_form_renderer  # Django's markup, without its templates

    email = forms.EmailField(
        label=_("E-mail address"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )


class OrderLookupForm(forms.Form):
    default_renderer = fast_form_renderer  # Django's markup, without its templates

    number = forms.CharField(label=_("Order number"), max_length=16, help_text=_("For example K7Q4-MZ2X."))
    email = forms.EmailField(
        label=_("E-mail address used for the order"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class ShippingForm(forms.Form):
    """Step 2: one of the flat rates from ORDER_SHIPPING_RATES (their names translated where the catalog
    knows them: orders.pipeline.SHIPPING_NAMES)."""

    default_renderer = fast_form_renderer  # Django's markup, without its templates

    method = forms.ChoiceField(label=_("Shipping method"), widget=forms.RadioSelect)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["method"].choices = [
            (code, f"{gettext(label)}: {format_money(price)}")
            for code, (label, price) in settings.ORDER_SHIPPING_RATES.items()
        ]


class PayForm(forms.Form):
    """The Pay button: only the attempt's idempotency key. The card is typed on the provider's page."""

    default_renderer = fast_form_renderer  # Django's markup, without its templates

    key = forms.CharField(widget=forms.HiddenInput, max_length=64)
