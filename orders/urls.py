from django.urls import path, register_converter

from orders import views


class OrderNumberConverter:
    """What an order number can look like (letters, digits, dashes): anything else is a 404 before any query.

    A NUL byte or other control character would otherwise reach PostgreSQL, which refuses it with an error.
    """

    regex = r"[0-9A-Za-z-]{1,32}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(OrderNumberConverter, "order_number")

app_name = "orders"

urlpatterns = [
    path("checkout/", views.checkout_address, name="checkout"),
    path("checkout/shipping/", views.checkout_shipping, name="checkout-shipping"),
    path("checkout/review/", views.checkout_review, name="checkout-review"),
    path("checkout/place/", views.checkout_place_view, name="checkout-place"),
    path("checkout/pay/<order_number:number>/", views.checkout_pay, name="checkout-pay"),
    path("orders/", views.order_list, name="order-list"),
    path("orders/<order_number:number>/", views.order_detail, name="order-detail"),
    path("orders/<order_number:number>/invoice/", views.invoice_detail, name="invoice"),
    path("payments/webhook/<slug:gateway>/", views.payment_webhook, name="payment-webhook"),
]
