from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from accounts import views as accounts_views
from shop import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    # --- accounts (issue 5)
    path("accounts/", include("accounts.urls")),
    path("password/", accounts_views.storefront_password, name="storefront-password"),
    path("password/notify/", accounts_views.storefront_notify, name="storefront-notify"),
    # notifications: staff-only previews of every kind of mail
    path("staff/emails/", include("notifications.urls")),
]

if settings.SHOP_BENCH:
    urlpatterns.append(path("bench/", include("bench.urls")))
