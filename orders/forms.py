"""Input validation for checkout and payment. Card details are validated here and never stored."""

import re
from datetime import date

from django import forms
from django.conf import settings

from accounts.forms import AddressForm
from accounts.models import Address
from orders.gateways.base import Card


class AddressChoiceForm(forms.Form):
    """Step 1: an address from the book, or a new one (the fields of NewAddressForm)."""

    address = forms.ChoiceField(label="Ship to", widget=forms.RadioSelect)

    def __init__(self, *args, addresses: list[Address], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choices = [(str(a.pk), ", ".join(a.lines())) for a in addresses]
        self.fields["address"].choices = [*choices, ("new", "A new address")]


class NewAddressForm(AddressForm):
    save_to_book = forms.BooleanField(label="Save it in my address book", required=False, initial=True)

    def __init__(self, *args, bookable: bool = True, **kwargs) -> None:
        kwargs.setdefault("auto_id", "id_new_%s")
        kwargs.setdefault("prefix", "new")
        super().__init__(*args, **kwargs)
        if not bookable:  # a guest has no address book
            del self.fields["save_to_book"]


class GuestForm(forms.Form):
    """The first step for a visitor without an account: where the confirmation and the order link go."""

    email = forms.EmailField(
        label="E-mail address", max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )


class OrderLookupForm(forms.Form):
    number = forms.CharField(label="Order number", max_length=16, help_text="For example K7Q4-MZ2X.")
    email = forms.EmailField(
        label="E-mail address used for the order",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class ShippingForm(forms.Form):
    """Step 2: one of the flat rates from ORDER_SHIPPING_RATES."""

    method = forms.ChoiceField(label="Shipping method", widget=forms.RadioSelect)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        currency = settings.SHOP_CURRENCY
        self.fields["method"].choices = [
            (code, f"{label}: {price} {currency}") for code, (label, price) in settings.ORDER_SHIPPING_RATES.items()
        ]


def luhn_valid(number: str) -> bool:
    total = 0
    for i, digit in enumerate(reversed(number)):
        n = int(digit)
        if i % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


class SecretInput(forms.TextInput):
    """A text input that never writes its value back into the page (card number, CVC)."""

    def format_value(self, value):
        return None


class CardForm(forms.Form):
    """Card details for the gateway. The view passes them on and forgets them (sensitive_post_parameters)."""

    key = forms.CharField(widget=forms.HiddenInput, max_length=64)
    holder = forms.CharField(
        label="Name on card", max_length=100, required=False, widget=forms.TextInput(attrs={"autocomplete": "cc-name"})
    )
    number = forms.CharField(
        label="Card number",
        max_length=30,
        widget=SecretInput(attrs={"autocomplete": "cc-number", "inputmode": "numeric"}),
    )
    expiry = forms.CharField(
        label="Expiry (MM/YY)", max_length=7, widget=forms.TextInput(attrs={"autocomplete": "cc-exp"})
    )
    cvc = forms.CharField(
        label="Security code (CVC)",
        max_length=4,
        widget=SecretInput(attrs={"autocomplete": "cc-csc", "inputmode": "numeric"}),
    )

    def clean_number(self) -> str:
        number = re.sub(r"[\s-]", "", self.cleaned_data["number"])
        # ASCII digits only: str.isdigit() also accepts "²" or "٣", which int() or the gateway refuse.
        if not re.fullmatch(r"[0-9]{12,19}", number) or not luhn_valid(number):
            raise forms.ValidationError("This is not a valid card number.")
        return number

    def clean_expiry(self) -> tuple[int, int]:
        match = re.fullmatch(r"\s*(\d{1,2})\s*/\s*(\d{2}|\d{4})\s*", self.cleaned_data["expiry"])
        if not match or not 1 <= int(match[1]) <= 12:
            raise forms.ValidationError("Enter the expiry date as MM/YY.")
        month, year = int(match[1]), int(match[2])
        year = year + 2000 if year < 100 else year
        today = date.today()
        if (year, month) < (today.year, today.month):
            raise forms.ValidationError("This card has expired.")
        return month, year

    def clean_cvc(self) -> str:
        cvc = self.cleaned_data["cvc"].strip()
        if not re.fullmatch(r"[0-9]{3,4}", cvc):
            raise forms.ValidationError("The security code has 3 or 4 digits.")
        return cvc

    def card(self) -> Card:
        month, year = self.cleaned_data["expiry"]
        data = self.cleaned_data
        return Card(number=data["number"], exp_month=month, exp_year=year, cvc=data["cvc"], holder=data["holder"])
