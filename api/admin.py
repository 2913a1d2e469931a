"""Staff UI: API tokens (made here too, the secret shown once), webhooks and their delivery log."""

import secrets

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from api import services, webhooks
from api.models import ApiToken, Scope, Webhook, WebhookDelivery, WebhookEvent


class ApiTokenCreateForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(choices=Scope.choices, widget=forms.CheckboxSelectMultiple)
    days = forms.IntegerField(min_value=1, initial=90, help_text="Lifetime; capped by API_TOKEN_MAX_DAYS.")

    class Meta:
        model = ApiToken
        fields = ["user", "name", "scopes"]

    def clean(self):
        data = super().clean()
        user = data.get("user")
        if user is not None and (refused := set(data.get("scopes", [])) - set(services.scopes_for(user))):
            self.add_error("scopes", f"Not allowed for this user: {', '.join(sorted(refused))}.")
        return data


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["__str__", "user", "kind", "created_at", "expires_at", "last_used_at", "revoked_at"]
    list_filter = ["kind", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["user__email", "name", "lookup"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]
    actions = ["revoke"]
    readonly_fields = [
        "user",
        "kind",
        "name",
        "scopes",
        "lookup",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    ]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = ApiTokenCreateForm
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else []

    def get_fields(self, request, obj=None):
        return ["user", "name", "scopes", "days"] if obj is None else self.readonly_fields

    def save_model(self, request, obj, form, change) -> None:
        if change:
            return
        new = services.token_create(
            user=form.cleaned_data["user"],
            name=form.cleaned_data["name"],
            scopes=form.cleaned_data["scopes"],
            days=form.cleaned_data["days"],
        )
        obj.pk = new.token.pk
        # The one time the secret is shown; only its hash is kept.
        messages.warning(request, f"The new token, shown only now: {new.secret}")

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        count = queryset.filter(revoked_at=None).update(revoked_at=timezone.now())
        self.message_user(request, f"{count} token(s) revoked.", messages.SUCCESS)


class WebhookForm(forms.ModelForm):
    url = forms.URLField(max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(choices=WebhookEvent.choices, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = Webhook
        fields = ["url", "events", "secret", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["secret"].required = False
        self.fields["secret"].help_text = "HMAC-SHA256 key of X-Shop-Signature; left empty, a random one is made."


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    form = WebhookForm
    list_display = ["url", "events", "is_active", "created_at"]
    list_filter = ["is_active"]

    def save_model(self, request, obj, form, change) -> None:
        if not obj.secret:
            obj.secret = secrets.token_hex(32)
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    """The delivery log: what was sent where, how it went, when it is tried again."""

    list_display = ["event", "webhook", "status", "attempts", "response_status", "created_at", "next_attempt_at"]
    list_filter = ["status", "event"]
    list_select_related = ["webhook"]
    search_fields = ["webhook__url"]
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]
    actions = ["retry"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description="Send the selected deliveries again")
    def retry(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        count = webhooks.deliveries_retry(queryset)
        self.message_user(request, f"{count} deliveries queued again.", messages.SUCCESS)
