"""Staff UI for orders: filters, search, lines and history inline, the allowed transitions as actions,
and the refund page (an amount, a reason, and whether the items go back into stock)."""

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_noop

from catalog.money import format_money
from orders import refunds, services
from orders.models import (
    CreditNote,
    Invoice,
    Order,
    OrderLine,
    OrderTaxLine,
    OrderTransition,
    Payment,
    Refund,
    WebhookEvent,
)


class RefundForm(forms.Form):
    amount = forms.CharField(label="Amount to refund", max_length=20)
    reason = forms.CharField(label="Reason (the shopper sees it)", max_length=200)
    restock = forms.BooleanField(label="Put the order's items back into stock", required=False)

    def clean_amount(self):
        try:
            return refunds.refund_amount_parse(self.cleaned_data["amount"])
        except services.OrderError as exc:
            raise forms.ValidationError(str(exc)) from None


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = ["name", "sku", "unit_price", "quantity", "line_total", "tax_rate", "product"]
    readonly_fields = fields


class OrderTaxLineInline(ReadOnlyInline):
    model = OrderTaxLine
    fields = ["rate", "net", "tax", "gross"]
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
    list_display = ["number", "email", "status", "total_shown", "created_at", "payment_state"]
    list_filter = ["status", ("created_at", admin.DateFieldListFilter), PaymentStateFilter]
    search_fields = ["number", "email"]
    date_hierarchy = "created_at"
    list_select_related = ["invoice"]
    inlines = [OrderLineInline, OrderTaxLineInline, OrderTransitionInline]
    actions = ["mark_shipped", "mark_completed", "cancel", "refund"]
    readonly_fields = [*(f.name for f in Order._meta.fields), "refunds"]

    def get_urls(self):
        refund = self.admin_site.admin_view(self.refund_view)
        return [path("<int:order_id>/refund/", refund, name="orders_order_refund"), *super().get_urls()]

    @admin.display(description="total", ordering="total")
    def total_shown(self, order: Order) -> str:
        return format_money(order.total, order.currency)

    @admin.display(description="refunds")
    def refunds(self, order: Order) -> str:
        invoice = order.invoice
        url = reverse("admin:orders_order_refund", args=[order.pk])
        return format_html(
            '{} of {} refunded. <a href="{}">Refund…</a>',
            format_money(invoice.amount_refunded, order.currency),
            format_money(invoice.amount_due, order.currency),
            url,
        )

    def refund_view(self, request: HttpRequest, order_id: int) -> HttpResponse:
        """Refund all or part of the order's payment; a refund larger than what is left is refused with a message."""
        order = get_object_or_404(Order.objects.select_related("invoice"), pk=order_id)
        if not self.has_change_permission(request, order):
            return redirect("admin:orders_order_changelist")
        form = RefundForm(request.POST or None)
        status = 200
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                refund = refunds.order_refund(
                    order=order,
                    amount=data["amount"],
                    reason=data["reason"],
                    restock=data["restock"],
                    actor=f"staff {request.user.email}",
                )
            except services.OrderError as exc:
                form.add_error(None, str(exc))
            else:
                note = refund.credit_note.display_number
                self.message_user(
                    request, f"Refunded {format_money(refund.amount, order.currency)} of order {order.number} ({note})."
                )
                return redirect("admin:orders_order_change", order.pk)
        if request.method == "POST" and form.errors:
            status = 400
        payment = Payment.objects.filter(
            invoice__order=order, status__in=[Payment.Status.SUCCEEDED, Payment.Status.REFUNDED]
        ).first()
        ctx = {
            **self.admin_site.each_context(request),
            "title": f"Refund order {order.number}",
            "opts": self.model._meta,
            "original": order,
            "order": order,
            "form": form,
            "payment": payment,
            "left": refunds.refundable(payment) if payment else 0,
            "past_refunds": Refund.objects.filter(payment__invoice__order=order).select_related("credit_note"),
        }
        return TemplateResponse(request, "admin/orders/order/refund.html", ctx, status=status)

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
            return services.order_cancel(
                order=order, actor=actor, reason=gettext_noop("Cancelled by the shop.")
            )  # translated where shown

        _run(self, request, queryset, cancel, "cancelled")

    @admin.action(description="Refund one order (amount, reason, restock)…")
    def refund(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Choose exactly one order to refund.", messages.WARNING)
            return None
        return redirect("admin:orders_order_refund", queryset.get().pk)


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
    list_display = ["idempotency_key", "gateway", "gateway_reference", "amount", "status", "needs_review", "created_at"]
    list_filter = ["status", "gateway", "needs_review"]
    search_fields = ["idempotency_key", "gateway_reference", "invoice__order__number"]
    readonly_fields = [f.name for f in Payment._meta.fields]
    actions = ["refund_stray"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.action(description="Refund stray charges (money for a cancelled or already paid order)")
    def refund_stray(self, request: HttpRequest, queryset: QuerySet[Payment]) -> None:
        _run(self, request, queryset, refunds.payment_refund_stray, "refunded", kind="payment")


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = ["payment", "amount", "status", "reason", "restock", "actor", "created_at"]
    list_filter = ["status"]
    search_fields = ["payment__invoice__order__number", "idempotency_key", "gateway_reference"]


@admin.register(CreditNote)
class CreditNoteAdmin(ReadOnlyAdmin):
    list_display = ["display_number", "invoice", "amount", "issued_at"]
    search_fields = ["invoice__order__number"]


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):
    list_display = ["event_id", "gateway", "event_type", "received_at"]
    list_filter = ["gateway", "event_type"]
    search_fields = ["event_id"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
