from django import forms
from django.conf import settings
from django.core.validators import MaxValueValidator
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from api.models import Scope
from api.services import scopes_for


class TokenForm(forms.Form):
    """A new personal token: what it is for, what it may do, how long it lives."""

    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("What the token is for, e.g. “stock sync”."))
    scopes = forms.MultipleChoiceField(label=_("Scopes"), widget=forms.CheckboxSelectMultiple)
    days = forms.IntegerField(label=_("Expires after (days)"), min_value=1)

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        labels = dict(Scope.choices)
        self.fields["scopes"].choices = [(s, f"{s} — {labels[s]}") for s in scopes_for(user)]
        self.fields["days"].validators.append(MaxValueValidator(settings.API_TOKEN_MAX_DAYS))
        self.fields["days"].widget.attrs["max"] = settings.API_TOKEN_MAX_DAYS
        self.fields["days"].initial = settings.API_TOKEN_DEFAULT_DAYS
