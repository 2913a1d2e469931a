"""Staff UI. Delete means archive: no hard delete of products here; archive/restore in bulk instead."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.models import CHANGE, LogEntry
from django.db.models import QuerySet, Sum
from django.http import HttpRequest
from django.template.response import TemplateResponse

from catalog import services
from catalog.models import (
    Attribute,
    AttributeChoice,
    Category,
    Option,
    OptionValue,
    Product,
    ProductAttributeValue,
    ProductImage,
    ProductType,
    ProductVariant,
)
from catalog.money import format_money


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "parent", "position", "is_active"]
    list_editable = ["position", "is_active"]
    list_filter = ["is_active", "parent"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    list_select_related = ["parent"]

    def save_model(self, request, obj, form, change) -> None:
        services.category_save(obj)  # a changed slug keeps the old URL as a redirect


class OptionInline(admin.TabularInline):
    model = Option
    fields = ["name", "position"]
    extra = 1
    show_change_link = True


class AttributeInline(admin.TabularInline):
    model = Attribute
    fields = ["name", "kind", "unit", "is_facetable", "position"]
    extra = 1
    show_change_link = True  # a choice attribute's choices are edited on its own page


@admin.register(ProductType)
class ProductTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [OptionInline, AttributeInline]


class AttributeChoiceInline(admin.TabularInline):
    model = AttributeChoice
    fields = ["value", "position"]
    extra = 3


@admin.register(Attribute)
class AttributeAdmin(admin.ModelAdmin):
    list_display = ["name", "product_type", "kind", "unit", "is_facetable"]
    list_select_related = ["product_type"]
    list_filter = ["product_type", "kind", "is_facetable"]
    search_fields = ["name"]
    inlines = [AttributeChoiceInline]


@admin.register(AttributeChoice)
class AttributeChoiceAdmin(admin.ModelAdmin):
    """Exists for the products' value lookups; choices are edited on their attribute."""

    search_fields = ["value", "attribute__name"]
    list_display = ["value", "attribute"]
    list_select_related = ["attribute"]

    def get_model_perms(self, request):
        return {}


class ProductAttributeValueInline(admin.TabularInline):
    """The specification: one row per attribute, the value in the column of its kind."""

    model = ProductAttributeValue
    fields = ["attribute", "value_text", "value_number", "value_choice", "value_bool"]
    raw_id_fields = ["attribute", "value_choice"]
    extra = 1

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("attribute", "value_choice")


class OptionValueInline(admin.TabularInline):
    model = OptionValue
    fields = ["value", "position"]
    extra = 3


@admin.register(Option)
class OptionAdmin(admin.ModelAdmin):
    list_display = ["name", "product_type", "position"]
    list_select_related = ["product_type"]
    list_filter = ["product_type"]
    inlines = [OptionValueInline]


@admin.register(OptionValue)
class OptionValueAdmin(admin.ModelAdmin):
    """Exists for the variants' autocomplete; values are edited on their option."""

    search_fields = ["value", "option__name", "option__product_type__name"]
    list_display = ["value", "option"]
    list_select_related = ["option__product_type"]

    def get_model_perms(self, request):
        return {}  # not in the admin index: edited inline on the option


class ProductVariantInline(admin.TabularInline):
    """One row per variant; option values by id (the lookup opens the values), prefetched: 50 rows cost no
    query each (a select of every value per row would be thousands of options on the page)."""

    model = ProductVariant
    fields = [
        "sku",
        "label",
        "option_values",
        "price_override",
        "sale_price_override",
        "tax_class",
        "stock",
        "weight_grams",
        "position",
    ]
    readonly_fields = ["label"]
    # The tax class by its code ("reduced"): a select per row would be a query per row.
    raw_id_fields = ["option_values", "tax_class"]
    extra = 0
    min_num = 1

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("option_values")


class ProductImageInline(admin.TabularInline):
    model = ProductImage
    fields = ["image", "variant", "alt_text", "position", "is_primary"]
    raw_id_fields = ["variant"]
    extra = 1


class InStockFilter(admin.SimpleListFilter):
    title = "stock"
    parameter_name = "in_stock"

    def lookups(self, request, model_admin):
        return [("yes", "In stock"), ("no", "Out of stock")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(variants__stock__gt=0).distinct()
        if self.value() == "no":
            return queryset.exclude(variants__stock__gt=0)
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
    list_display = ["name", "sku", "category", "price_shown", "stock", "status", "updated_at"]
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
        "product_type",
        "price",
        "tax_class",
        "sale_price",
        "sale_starts_at",
        "sale_ends_at",
        "description",
        "is_featured",
        "related_products",
        "is_archived",
        "archived_at",
        "created_at",
        "updated_at",
    ]
    autocomplete_fields = ["related_products"]
    inlines = [ProductVariantInline, ProductAttributeValueInline, ProductImageInline]
    actions = ["archive", "restore"]
    list_per_page = 50

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(stock_total=Sum("variants__stock"))

    @admin.display(description="price", ordering="price")
    def price_shown(self, product: Product) -> str:
        return format_money(product.price)

    @admin.display(description="stock", ordering="stock_total")
    def stock(self, product: Product) -> int:
        return product.stock_total or 0

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

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        services.variant_labels_refresh([form.instance.pk])

    def save_formset(self, request, form, formset, change) -> None:
        if formset.model is ProductVariant and not change:
            # product_save made a default variant with the product's SKU: the inline's rows replace it.
            ProductVariant.objects.filter(product=form.instance).delete()
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


class VariantBulkForm(forms.Form):
    """What a bulk change sets on every selected variant; empty fields are left alone."""

    price = forms.DecimalField(label="Set price to", required=False, min_value=0, max_digits=10, decimal_places=2)
    clear_price = forms.BooleanField(label="Use the product's price", required=False)
    stock = forms.IntegerField(label="Set stock to", required=False, min_value=0, max_value=2**31 - 1)
    stock_delta = forms.IntegerField(
        label="Change stock by", required=False, min_value=-(2**31), max_value=2**31 - 1, help_text="e.g. 10 or -3"
    )

    def clean(self):
        data = super().clean()
        if data.get("price") is not None and data.get("clear_price"):
            raise forms.ValidationError("Either set a price or go back to the product's price, not both.")
        if data.get("stock") is not None and data.get("stock_delta") is not None:
            raise forms.ValidationError("Either set the stock or change it by an amount, not both.")
        if not any(data.get(k) not in (None, False) for k in ("price", "clear_price", "stock", "stock_delta")):
            raise forms.ValidationError("Say what to change.")
        return data


@admin.register(ProductVariant)
class ProductVariantAdmin(admin.ModelAdmin):
    """Every variant of every product: filter, then change price or stock of many at once."""

    list_display = ["sku", "product", "label", "price_override", "stock", "updated_at"]
    list_editable = ["price_override", "stock"]
    list_filter = ["product__product_type", "product__category", "product__is_archived"]
    list_select_related = ["product"]
    search_fields = ["=sku", "product__name", "label"]
    raw_id_fields = ["product", "option_values"]
    readonly_fields = ["label", "created_at", "updated_at"]
    actions = ["bulk_change"]
    list_per_page = 100

    def has_delete_permission(self, request, obj=None) -> bool:
        # Orders and carts refer to variants (PROTECT): deleting one that was ordered would fail anyway.
        return obj is None or not obj.order_lines.exists()

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        services.variant_labels_refresh([form.instance.product_id])

    @admin.action(description="Change price or stock of the selected variants…", permissions=["change"])
    def bulk_change(self, request: HttpRequest, queryset: QuerySet[ProductVariant]):
        form = VariantBulkForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            count = services.variant_bulk_set(queryset, **form.cleaned_data)
            self.message_user(request, f"Changed {count} variant{'s' if count != 1 else ''}.", messages.SUCCESS)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Change price or stock",
            "form": form,
            "variants": queryset,
            "count": queryset.count(),
            "opts": self.model._meta,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(
            request, "admin/catalog/productvariant/bulk_change.html", context, status=400 if form.errors else 200
        )
