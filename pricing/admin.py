from django.contrib import admin

from pricing.models import TaxClass, TaxRate


@admin.register(TaxClass)
class TaxClassAdmin(admin.ModelAdmin):
    list_display = ["name", "code"]
    prepopulated_fields = {"code": ["name"]}

    def get_readonly_fields(self, request, obj=None):
        # Products point at a class by its code: renaming the code would orphan them.
        return ["code"] if obj is not None else []

    def get_prepopulated_fields(self, request, obj=None):
        return {} if obj is not None else self.prepopulated_fields


@admin.register(TaxRate)
class TaxRateAdmin(admin.ModelAdmin):
    list_display = ["country", "region", "tax_class", "rate"]
    list_filter = ["tax_class", "country"]
    list_select_related = ["tax_class"]
    search_fields = ["country", "region"]
