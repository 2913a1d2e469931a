from django.urls import path

from cart import views

app_name = "cart"

urlpatterns = [
    path("", views.cart_detail, name="detail"),
    path("badge/", views.badge, name="badge"),
    path("add/", views.line_add, name="add"),
    path("lines/<int:line_id>/", views.line_update, name="line-update"),
    path("lines/<int:line_id>/remove/", views.line_remove, name="line-remove"),
    path("lines/<int:line_id>/accept-price/", views.line_accept_price, name="line-accept-price"),
    path("undo/", views.line_restore, name="undo"),
    path("clear/", views.cart_clear, name="clear"),
    path("voucher/", views.voucher_add, name="voucher-add"),
    path("voucher/remove/", views.voucher_delete, name="voucher-remove"),
]
