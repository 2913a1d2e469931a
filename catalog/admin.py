"""Staff UI. Delete means archive: no hard delete of products here; archive/restore in bulk instead."""

from django.contrib import admin, messages
from django.contrib.admin.models import CHANGE, LogEntry
from django.db.models import QuerySet
from django.http import HttpRequest

from catalog import services
from catalog.models import Category, Product, ProductImage


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "parent", "position", "is_active"]
    list_editable = ["position", "is_active"]
    list_filter = ["is_active", "parent"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    list_select_related = ["parent"]


class ProductImageInline(admin.TabularInline):
    model = ProductImage
    fields = ["image", "alt_text", "position", "is_primary"]
    extra = 1


class InStockFilter(admin.SimpleListFilter):
    title = "stock"
    parameter_name = "in_stock"

    def lookups(self, request, model_admin):
        return [("yes", "In stock"), ("no", "Out of stock")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(stock__gt=0)
        if self.value() == "no":
            return queryset.filter(stock=0)
        return queryset


class StatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("active", "Active"), ("archived", "Archived")]

    def queryset(self, request, queryset):
        if self.value() == "active":
            return queryset.filter(is_archived=False)
        if self.value() == "archived":
            return queryset.filter(is_archived=True)
        return queryset


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "sku", "category", "price", "stock", "status", "updated_at"]
    list_editable = ["stock"]
    list_filter = [StatusFilter, "category", InStockFilter, "is_featured"]
    list_select_related = ["category"]
    search_fields = ["name", "=sku"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["is_archived", "archived_at", "created_at", "updated_at"]
    fields = [
        "name",
        "slug",
        "sku",
        "category",
        "price",
        "stock",
        "description",
        "is_featured",
        "is_archived",
        "archived_at",
        "created_at",
        "updated_at",
    ]
    inlines = [ProductImageInline]
    actions = ["archive", "restore"]
    list_per_page = 50

    @admin.display(description="status", boolean=False, ordering="is_archived")
    def status(self, product: Product) -> str:
        return "Archived" if product.is_archived else "Active"

    def has_delete_permission(self, request: HttpRequest, obj: Product | None = None) -> bool:
        # Orders refer to products: a product is archived, never deleted (see the archive action).
        return False

    @admin.action(description="Archive selected products (hide from the shop)", permissions=["change"])
    def archive(self, request: HttpRequest, queryset: QuerySet[Product]) -> None:
        self._bulk(request, queryset.filter(is_archived=False), services.product_archive, "Archived")

    @admin.action(description="Restore selected products (show in the shop)", permissions=["change"])
    def restore(self, request: HttpRequest, queryset: QuerySet[Product]) -> None:
        self._bulk(request, queryset.filter(is_archived=True), services.product_restore, "Restored")

    def _bulk(self, request, queryset, service, verb: str) -> None:
        """Run the service on the products it will change, and record each in the admin history."""
        changed_ids = list(queryset.values_list("pk", flat=True))
        count = service(Product.objects.filter(pk__in=changed_ids))
        if changed_ids:
            LogEntry.objects.log_actions(
                request.user.pk, Product.objects.filter(pk__in=changed_ids), CHANGE, change_message=verb + "."
            )
        self.message_user(
            request, f"{verb} {count} product{'s' if count != 1 else ''}.", messages.SUCCESS if count else messages.INFO
        )

    def save_model(self, request, obj, form, change) -> None:
        # The one write path for a product: integrations subscribed to product.updated hear of it.
        services.product_save(obj, {})

    def save_formset(self, request, form, formset, change) -> None:
        if formset.model is not ProductImage:
            return super().save_formset(request, form, formset, change)
        # Images go through the service, which makes the display renditions and keeps one primary.
        instances = formset.save(commit=False)
        for image in formset.deleted_objects:
            image.delete()
        for image in instances:
            services.product_image_save(image, primary=image.is_primary)
        formset.save_m2m()
        services.product_images_ensure_primary(form.instance.pk)
        return None
