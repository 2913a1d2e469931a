from django.contrib import admin
from django.http import HttpResponseRedirect
from django.urls import reverse

from storefront import services
from storefront.models import Brand, Page


@admin.register(Brand)
class BrandAdmin(admin.ModelAdmin):
    """One row: the list goes straight to its form."""

    fieldsets = [
        (None, {"fields": ["name", "logo", "accent_colour", "tagline", "meta_description"]}),
        ("Contact and imprint", {"fields": ["legal_name", "address", "email", "phone", "payment_methods"]}),
    ]

    def changelist_view(self, request, extra_context=None):
        if Brand.objects.filter(pk=1).exists():
            return HttpResponseRedirect(reverse("admin:storefront_brand_change", args=[1]))
        return HttpResponseRedirect(reverse("admin:storefront_brand_add"))

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not Brand.objects.filter(pk=1).exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def get_changeform_initial_data(self, request):
        from django.conf import settings

        return {"name": settings.SHOP_NAME}

    def save_model(self, request, obj, form, change):
        services.brand_save(obj)


@admin.register(Page)
class PageAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "group", "position", "is_published", "updated_at"]
    list_editable = ["position", "is_published"]
    list_filter = ["group", "is_published"]
    prepopulated_fields = {"slug": ["title"]}
    search_fields = ["title", "body"]

    def save_model(self, request, obj, form, change):
        services.page_save(obj)

    def delete_model(self, request, obj):
        services.pages_delete(Page.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        services.pages_delete(queryset)
