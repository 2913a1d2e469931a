"""Staff UI for orders: filters, search, lines and history inline, and the allowed transitions as actions."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from orders import services
from orders.models import Invoice, Order, OrderLine, OrderTransition, Payment, WebhookEvent


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = ["name", "sku", "unit_price", "quantity", "line_total", "product"]
    readonly_fields = fields


class OrderTransitionInline(ReadOnlyInline):
    model = OrderTransition
    fields = ["at", "from_status", "to_status", "actor", "note"]
    readonly_fields = fields


class PaymentStateFilter(admin.SimpleListFilter):
    title = "payment state"
    parameter_name = "invoice"

    def lookups(self, request, model_admin):
        return Invoice.Status.choices

    def queryset(self, request, queryset):
        return queryset.filter(invoice__status=self.value()) if self.value() else queryset


def _run(modeladmin, request: HttpRequest, queryset: QuerySet, operation, done: str, *, kind: str = "order") -> None:
    """Apply one service to each selected row (passed as `kind`); refusals become messages, the rest still run."""
    changed = 0
    for row in queryset:
        try:
            operation(**{kind: row}, actor=f"staff {request.user.email}")
            changed += 1
        except services.OrderError as exc:
            modeladmin.message_user(request, str(exc), messages.ERROR)
    if changed:
        modeladmin.message_user(request, f"{changed} {kind}(s) {done}.", messages.SUCCESS)


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["number", "email", "status", "total", "created_at", "payment_state"]
    list_filter = ["status", ("created_at", admin.DateFieldListFilter), PaymentStateFilter]
    search_fields = ["number", "email"]
    date_hierarchy = "created_at"
    list_select_related = ["invoice"]
    inlines = [OrderLineInline, OrderTransitionInline]
    actions = ["mark_shipped", "mark_completed", "cancel", "refund"]
    readonly_fields = [f.name for f in Order._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description="payment", ordering="invoice__status")
    def payment_state(self, order: Order) -> str:
        return order.invoice.get_status_display()

    @admin.action(description="Mark shipped (mails the shopper)")
    def mark_shipped(self, request, queryset):
        _run(self, request, queryset, services.order_ship, "marked shipped")

    @admin.action(description="Mark completed")
    def mark_completed(self, request, queryset):
        _run(self, request, queryset, services.order_complete, "completed")

    @admin.action(description="Cancel unpaid orders (releases stock)")
    def cancel(self, request, queryset):
        def cancel(*, order, actor):
            return services.order_cancel(order=order, actor=actor, reason="Cancelled by the shop.")

        _run(self, request, queryset, cancel, "cancelled")

    @admin.action(description="Refund through the payment gateway")
    def refund(self, request, queryset):
        _run(self, request, queryset, services.order_refund, "refunded")


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    list_display = ["display_number", "order", "amount_due", "status", "issued_at", "paid_at"]
    list_filter = ["status"]
    search_fields = ["order__number", "order__email"]
    readonly_fields = ["order", "number", "amount_due", "status", "issued_at", "paid_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ["idempotency_key", "gateway", "gateway_reference", "amount", "status", "card_last4", "created_at"]
    list_filter = ["status", "gateway"]
    search_fields = ["idempotency_key", "gateway_reference", "invoice__order__number"]
    readonly_fields = [f.name for f in Payment._meta.fields]
    actions = ["refund_stray"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.action(description="Refund stray charges (money for a cancelled or already paid order)")
    def refund_stray(self, request: HttpRequest, queryset: QuerySet[Payment]) -> None:
        _run(self, request, queryset, services.payment_refund_stray, "refunded", kind="payment")


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):
    list_display = ["event_id", "gateway", "event_type", "received_at"]
    list_filter = ["gateway", "event_type"]
    search_fields = ["event_id"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
