"""Input validation for accounts: registration, login, profile, addresses, password reset, the gate."""

from django import forms
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import password_validation
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from phonenumber_field.phonenumber import PhoneNumber
from phonenumbers import NumberParseException

from accounts.addressing import postcode_problem
from accounts.models import Address, User
from notifications.services import mail_enqueue
from shop.widgets import SelectFast

# Long enough for any passphrase; short enough that hashing it costs nothing unusual.
PASSWORD_MAX_LENGTH = 1024


class RegisterForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail address"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    name = forms.CharField(label=_("Name (optional)"), max_length=150, required=False)
    password1 = forms.CharField(
        label=_("Password"),
        max_length=PASSWORD_MAX_LENGTH,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Password (again)"),
        max_length=PASSWORD_MAX_LENGTH,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data["email"])
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("An account with this e-mail address already exists."))
        return email

    def clean(self) -> dict:
        cleaned = super().clean()
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", _("The two passwords do not match."))
        elif password1:
            candidate = User(email=cleaned.get("email", ""), name=cleaned.get("name", ""))
            try:
                password_validation.validate_password(password1, candidate)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return cleaned


class ClaimForm(RegisterForm):
    """ "Save my details, set a password" after a guest order: the order's address becomes the login."""

    def __init__(self, *args, email: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["email"]
        self.email = email
        self.fields["password1"].label = _("Choose a password")

    def clean(self) -> dict:
        self.cleaned_data["email"] = self.email  # the password must not resemble it either
        return super().clean()


class LoginForm(auth_forms.AuthenticationForm):
    username = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("Password"),
        max_length=PASSWORD_MAX_LENGTH,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    remember = forms.BooleanField(label=_("Remember me on this device"), required=False)

    error_messages = {
        "invalid_login": _("That e-mail address and password do not match an account."),
        "inactive": _("That e-mail address and password do not match an account."),
    }


class PasswordChangeForm(auth_forms.PasswordChangeForm):
    pass


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's enumeration-safe reset form: the same answer whether or not the address has an account.

    The mail goes through the outbox (retried, rate-limited) instead of straight to the mail server.
    """

    email = forms.EmailField(
        label=_("E-mail address"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )

    def send_mail(
        self, subject_template_name, email_template_name, context, from_email, to_email, html_email_template_name=None
    ) -> None:
        user = context["user"]
        reset_path = reverse(
            "accounts:password-reset-confirm", kwargs={"uidb64": context["uid"], "token": context["token"]}
        )
        mail_enqueue(
            to=to_email, kind="password_reset", context={"name": user.name, "reset_path": reset_path}, vouched_by=user
        )


class SetPasswordForm(auth_forms.SetPasswordForm):
    pass


class ProfileForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150, required=False)
    email = forms.EmailField(label=_("E-mail address"), max_length=254)
    current_password = forms.CharField(
        label=_("Current password (needed to change the e-mail address)"),
        max_length=PASSWORD_MAX_LENGTH,
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, user: User, **kwargs) -> None:
        self.user = user
        kwargs.setdefault("initial", {"name": user.name, "email": user.email})
        super().__init__(*args, **kwargs)

    def clean_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data["email"])
        if User.objects.filter(email__iexact=email).exclude(pk=self.user.pk).exists():
            raise forms.ValidationError(_("An account with this e-mail address already exists."))
        return email

    def clean(self) -> dict:
        cleaned = super().clean()
        email = cleaned.get("email")
        if email and email.lower() != self.user.email.lower():
            if not self.user.check_password(cleaned.get("current_password") or ""):
                self.add_error("current_password", _("Enter your current password to change the e-mail address."))
        return cleaned


class ConfirmPasswordForm(forms.Form):
    password = forms.CharField(
        label=_("Your password"),
        max_length=PASSWORD_MAX_LENGTH,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, user: User, **kwargs) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("That password is not correct."))
        return password


class AddressForm(forms.ModelForm):
    """A shipping address: any country; the postcode checked where the country has one format."""

    # Parsed in clean(), with the address's country as the region of a number written without +prefix.
    phone = forms.CharField(
        label=_("Phone (optional)"),
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
        help_text=_("For the courier, if a delivery needs it."),
    )

    class Meta:
        model = Address
        fields = ["name", "line1", "line2", "city", "postcode", "country", "phone"]
        widgets = {
            "name": forms.TextInput(attrs={"autocomplete": "name"}),
            "line1": forms.TextInput(attrs={"autocomplete": "address-line1"}),
            "line2": forms.TextInput(attrs={"autocomplete": "address-line2"}),
            "city": forms.TextInput(attrs={"autocomplete": "address-level2"}),
            "postcode": forms.TextInput(attrs={"autocomplete": "postal-code"}),
            "country": SelectFast(attrs={"autocomplete": "country"}, cache_key="countries"),
        }
        # The model's verbose names in the visitor's language (set here: on the model they would need a migration).
        labels = {
            "name": _("Name"),
            "line1": _("Address line 1"),
            "line2": _("Address line 2"),
            "city": _("City"),
            "postcode": _("Postcode"),
            "country": _("Country"),
        }
        error_messages = {"country": {"invalid_choice": _("We do not ship to that country. Choose one from the list.")}}

    def __init__(self, *args, **kwargs) -> None:
        # The add form and any inline edit forms share the profile page (with the profile form): own ids.
        instance = kwargs.get("instance")
        kwargs.setdefault("auto_id", f"id_address_{instance.pk if instance else 'new'}_%s")
        super().__init__(*args, **kwargs)
        if instance is not None and instance.phone:
            self.initial["phone"] = instance.phone.as_international

    def clean(self) -> dict:
        cleaned = super().clean()
        country = cleaned.get("country")
        if country:
            problem = postcode_problem(str(country), cleaned.get("postcode", ""))
            if problem:
                self.add_error("postcode", problem)
            elif "postcode" in cleaned:
                cleaned["postcode"] = cleaned["postcode"].strip().upper()
            raw = cleaned.get("phone") or ""
            if raw:
                try:
                    number = PhoneNumber.from_string(raw, region=str(country))
                except NumberParseException:
                    number = None
                if number is None or not number.is_valid():
                    self.add_error("phone", _("This is not a phone number (for example +44 20 7946 0958)."))
                else:
                    cleaned["phone"] = number
        return cleaned

    def address_data(self) -> dict[str, str]:
        """The cleaned address as plain strings (for the session and the order's snapshot)."""
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        return {**data, "country": str(data["country"]), "phone": str(data["phone"] or "")}


class StorefrontPasswordForm(forms.Form):
    password = forms.CharField(
        label=_("Shop password"), max_length=PASSWORD_MAX_LENGTH, strip=False, widget=forms.PasswordInput
    )
    next = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)


class LaunchNotifyForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail address"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    next = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs) -> None:
        # It shares a page with the password form: its own ids.
        kwargs.setdefault("auto_id", "id_notify_%s")
        super().__init__(*args, **kwargs)
