from django.urls import path

from notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.preview_list, name="preview-list"),
    path("<slug:kind>/", views.preview, name="preview"),
    path("<slug:kind>/html/", views.preview_html, name="preview-html"),
]
