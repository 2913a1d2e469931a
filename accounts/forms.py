"""Input validation for accounts: registration, login, profile, addresses, password reset, the gate."""

from django import forms
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import password_validation
from django.urls import reverse

from accounts.models import Address, User
from notifications.services import mail_enqueue

# Long enough for any passphrase; short enough that hashing it costs nothing unusual.
PASSWORD_MAX_LENGTH = 1024


class RegisterForm(forms.Form):
    email = forms.EmailField(
        label="E-mail address", max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    name = forms.CharField(label="Name (optional)", max_length=150, required=False)
    password1 = forms.CharField(
        label="Password",
        max_length=PASSWORD_MAX_LENGTH,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label="Password (again)",
        max_length=PASSWORD_MAX_LENGTH,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data["email"])
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("An account with this e-mail address already exists.")
        return email

    def clean(self) -> dict:
        cleaned = super().clean()
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", "The two passwords do not match.")
        elif password1:
            candidate = User(email=cleaned.get("email", ""), name=cleaned.get("name", ""))
            try:
                password_validation.validate_password(password1, candidate)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return cleaned


class LoginForm(auth_forms.AuthenticationForm):
    username = forms.EmailField(
        label="E-mail address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
    password = forms.CharField(
        label="Password",
        max_length=PASSWORD_MAX_LENGTH,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    remember = forms.BooleanField(label="Remember me on this device", required=False)

    error_messages = {
        "invalid_login": "That e-mail address and password do not match an account.",
        "inactive": "That e-mail address and password do not match an account.",
    }


class PasswordChangeForm(auth_forms.PasswordChangeForm):
    pass


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's enumeration-safe reset form: the same answer whether or not the address has an account.

    The mail goes through the outbox (retried, rate-limited) instead of straight to the mail server.
    """

    email = forms.EmailField(
        label="E-mail address", max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
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
    name = forms.CharField(max_length=150, required=False)
    email = forms.EmailField(label="E-mail address", max_length=254)
    current_password = forms.CharField(
        label="Current password (needed to change the e-mail address)",
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
            raise forms.ValidationError("An account with this e-mail address already exists.")
        return email

    def clean(self) -> dict:
        cleaned = super().clean()
        email = cleaned.get("email")
        if email and email.lower() != self.user.email.lower():
            if not self.user.check_password(cleaned.get("current_password") or ""):
                self.add_error("current_password", "Enter your current password to change the e-mail address.")
        return cleaned


class ConfirmPasswordForm(forms.Form):
    password = forms.CharField(
        label="Your password",
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
            raise forms.ValidationError("That password is not correct.")
        return password


class AddressForm(forms.ModelForm):
    class Meta:
        model = Address
        fields = ["name", "line1", "line2", "city", "postcode", "country", "phone"]
        widgets = {
            "name": forms.TextInput(attrs={"autocomplete": "name"}),
            "line1": forms.TextInput(attrs={"autocomplete": "address-line1"}),
            "line2": forms.TextInput(attrs={"autocomplete": "address-line2"}),
            "city": forms.TextInput(attrs={"autocomplete": "address-level2"}),
            "postcode": forms.TextInput(attrs={"autocomplete": "postal-code"}),
            "country": forms.Select(attrs={"autocomplete": "country"}),
            "phone": forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
        }

    def __init__(self, *args, **kwargs) -> None:
        # The add form and any inline edit forms share the profile page (with the profile form): own ids.
        instance = kwargs.get("instance")
        kwargs.setdefault("auto_id", f"id_address_{instance.pk if instance else 'new'}_%s")
        super().__init__(*args, **kwargs)


class StorefrontPasswordForm(forms.Form):
    password = forms.CharField(
        label="Shop password", max_length=PASSWORD_MAX_LENGTH, strip=False, widget=forms.PasswordInput
    )
    next = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)


class LaunchNotifyForm(forms.Form):
    email = forms.EmailField(
        label="E-mail address", max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    next = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs) -> None:
        # It shares a page with the password form: its own ids.
        kwargs.setdefault("auto_id", "id_notify_%s")
        super().__init__(*args, **kwargs)
