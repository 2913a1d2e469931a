from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from shop import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    # notifications: staff-only previews of every kind of mail
    path("staff/emails/", include("notifications.urls")),
]

if settings.SHOP_BENCH:
    urlpatterns.append(path("bench/", include("bench.urls")))
