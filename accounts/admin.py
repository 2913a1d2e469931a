from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts import services
from accounts.models import Address, LaunchSubscriber, Session, User


class UserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


class SessionInline(admin.TabularInline):
    """The user's sessions, read-only here; revoke them from the Sessions list (so cached copies go too)."""

    model = Session
    fields = ("device", "ip_prefix", "created_at", "last_seen", "expire_date")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    inlines = [SessionInline]
    form = UserEditForm
    add_form = UserCreationForm
    ordering = ("email",)
    list_display = ("email", "name", "email_verified_at", "is_staff", "is_active", "date_joined")
    list_filter = ("is_staff", "is_superuser", "is_active")
    actions = ["revoke_sessions"]
    search_fields = ("email", "name")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("name",)}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined", "email_verified_at")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "usable_password", "password1", "password2")}),)

    @admin.action(description=_("Log out all sessions of the selected users"))
    def revoke_sessions(self, request, queryset):
        count = sum(services.session_revoke_all(user=user) for user in queryset)
        self.message_user(request, gettext("%(count)s session(s) logged out.") % {"count": count})


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    """Sessions are revoked by deleting them here; deletion goes through the session engine."""

    list_display = ("user", "device", "ip_prefix", "created_at", "last_seen", "expire_date")
    list_select_related = ("user",)
    list_filter = (("user", admin.EmptyFieldListFilter),)
    search_fields = ("user__email",)
    fields = ("user", "device", "user_agent", "ip_prefix", "created_at", "last_seen", "expire_date")
    readonly_fields = fields
    ordering = ("-last_seen",)
    actions = ["delete_selected"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def delete_model(self, request, obj) -> None:
        services.sessions_delete([obj.session_key])

    def delete_queryset(self, request, queryset) -> None:
        services.sessions_delete(list(queryset.values_list("session_key", flat=True)))


@admin.register(LaunchSubscriber)
class LaunchSubscriberAdmin(admin.ModelAdmin):
    """Addresses left on the storefront password page ("tell me when you open")."""

    list_display = ("email", "created_at")
    search_fields = ("email",)
    ordering = ("-created_at",)
    readonly_fields = ("created_at",)


@admin.register(Address)
class AddressAdmin(admin.ModelAdmin):
    list_display = ("user", "name", "city", "country", "is_default")
    list_select_related = ("user",)
    search_fields = ("user__email", "name", "city", "postcode")
    list_filter = ("country", "is_default")
