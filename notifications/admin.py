from django.contrib import admin, messages

from notifications.models import Message
from notifications.services import message_resend


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    """The outbox, read-only: staff watch delivery and resend what failed."""

    list_display = ("created_at", "to", "kind", "status", "attempts", "next_attempt_at", "sent_at")
    list_filter = ("status", "kind", "bulk")
    search_fields = ("to",)
    date_hierarchy = "created_at"
    actions = ["resend"]
    readonly_fields = [field.name for field in Message._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_resend_permission(self, request) -> bool:
        # Rows are never edited by hand, but resending is a change: it needs the change permission.
        return request.user.has_perm("notifications.change_message")

    @admin.action(description="Resend selected dead or failed messages", permissions=["resend"])
    def resend(self, request, queryset):
        count = message_resend(queryset)
        skipped = queryset.count() - count
        self.message_user(request, f"{count} message(s) queued again.", messages.SUCCESS)
        if skipped:
            self.message_user(request, f"{skipped} message(s) skipped: only dead or failed mail is resent.")
