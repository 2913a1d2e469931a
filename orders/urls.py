from django.urls import path

from orders import views

app_name = "orders"

urlpatterns = [
    path("checkout/start/", views.checkout_start, name="checkout-start"),
    path("checkout/", views.checkout_address, name="checkout"),
    path("checkout/shipping/", views.checkout_shipping, name="checkout-shipping"),
    path("checkout/review/", views.checkout_review, name="checkout-review"),
    path("checkout/place/", views.checkout_place_view, name="checkout-place"),
    path("checkout/pay/<str:number>/", views.checkout_pay, name="checkout-pay"),
    path("checkout/pay/<str:number>/return/", views.checkout_pay_return, name="checkout-pay-return"),
    path("orders/", views.order_list, name="order-list"),
    path("orders/lookup/", views.order_lookup, name="order-lookup"),
    path("orders/link/<str:token>/", views.order_link, name="order-link"),
    path("orders/<str:number>/claim/", views.order_claim, name="order-claim"),
    path("orders/<str:number>/", views.order_detail, name="order-detail"),
    path("orders/<str:number>/invoice/", views.invoice_detail, name="invoice"),
]
