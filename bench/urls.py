"""Floor views, mounted only when SHOP_BENCH=1 (by `make bench`)."""

from django.urls import path

from bench import views

urlpatterns = [
    path("hello", views.hello, name="bench-hello"),
    path("db", views.db, name="bench-db"),
]
