"""Staff: vouchers and promotions with their usage counts; codes export as CSV."""

import csv

from django import forms
from django.contrib import admin
from django.db.models import Count, Sum
from django.http import HttpResponse

from discounts.models import AppliedDiscount, Promotion, Redemption, Voucher, code_normalise


def codes_csv(vouchers, response) -> None:
    """One row per voucher: what a mailing or a printer needs."""
    writer = csv.writer(response)
    writer.writerow(["code", "kind", "value", "valid_from", "valid_until", "usage_limit", "times_used", "batch"])
    for v in vouchers:
        writer.writerow(
            [
                v.code,
                v.kind,
                v.value,
                v.valid_from or "",
                v.valid_until or "",
                v.usage_limit or "",
                v.times_used,
                v.batch,
            ]
        )


class VoucherForm(forms.ModelForm):
    class Meta:
        model = Voucher
        fields = [
            "code",
            "kind",
            "value",
            "categories",
            "products",
            "minimum_order",
            "valid_from",
            "valid_until",
            "usage_limit",
            "per_customer_limit",
            "is_active",
            "batch",
        ]

    def clean_code(self) -> str:
        return code_normalise(self.cleaned_data["code"])


class RedemptionInline(admin.TabularInline):
    model = Redemption
    fields = ["order", "email", "amount", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Voucher)
class VoucherAdmin(admin.ModelAdmin):
    form = VoucherForm
    list_display = ["code", "kind", "value", "minimum_order", "valid_from", "valid_until", "usage", "is_active"]
    list_filter = ["kind", "is_active", "batch"]
    search_fields = ["code", "batch"]
    filter_horizontal = ["categories", "products"]
    readonly_fields = ["times_used", "discount_given"]
    inlines = [RedemptionInline]
    actions = ["export_codes"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(given=Sum("redemptions__amount"))

    @admin.display(description="used", ordering="times_used")
    def usage(self, voucher: Voucher) -> str:
        return f"{voucher.times_used} / {voucher.usage_limit}" if voucher.usage_limit else str(voucher.times_used)

    @admin.display(description="discount given")
    def discount_given(self, voucher: Voucher):
        return getattr(voucher, "given", None) or 0

    @admin.action(description="Export the selected codes as CSV")
    def export_codes(self, request, queryset):
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="voucher-codes.csv"'
        codes_csv(queryset.order_by("code"), response)
        return response


@admin.register(Promotion)
class PromotionAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "priority", "stacks_with_vouchers", "is_active", "uses_count", "saved_total"]
    list_filter = ["kind", "is_active", "stacks_with_vouchers"]
    search_fields = ["name"]
    autocomplete_fields = ["category", "product"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(uses_count=Count("uses"), saved_total=Sum("uses__amount"))

    @admin.display(description="orders", ordering="uses_count")
    def uses_count(self, promotion: Promotion) -> int:
        return promotion.uses_count

    @admin.display(description="saved in all")
    def saved_total(self, promotion: Promotion):
        return promotion.saved_total or 0


@admin.register(AppliedDiscount)
class AppliedDiscountAdmin(admin.ModelAdmin):
    """Read-only: what each order saved."""

    list_display = ["order", "label", "amount", "promotion", "voucher"]
    list_select_related = ["order", "promotion", "voucher"]
    search_fields = ["order__number", "label"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
