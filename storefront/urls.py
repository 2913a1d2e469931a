from django.urls import path

from storefront import views

app_name = "storefront"

urlpatterns = [
    path("pages/<slug:slug>/", views.page_detail, name="page"),
    path("cookies/", views.cookie_choice, name="cookie-choice"),
    path("assets/site-<str:digest>.css", views.site_stylesheet, name="stylesheet"),
]
