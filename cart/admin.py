from django.contrib import admin

from cart.models import Cart, CartLine


class CartLineInline(admin.TabularInline):
    model = CartLine
    fields = ["product", "variant", "quantity", "price_seen", "created_at", "updated_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Cart)
class CartAdmin(admin.ModelAdmin):
    """Read-only: carts belong to shoppers; staff look (support questions), the shop changes them."""

    list_display = ["__str__", "user", "created_at", "updated_at"]
    list_filter = [("user", admin.EmptyFieldListFilter)]
    search_fields = ["user__email"]
    list_select_related = ["user"]
    readonly_fields = ["user", "created_at", "updated_at"]
    fields = readonly_fields
    inlines = [CartLineInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
