from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path

from accounts import views as accounts_views
from catalog import views as catalog_views
from shop import views

urlpatterns = [
    path("", catalog_views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    # api (issue 19): the JSON API, its OpenAPI schema and docs
    path("api/v1/", include("api.urls")),
    # --- accounts (issue 5)
    path("accounts/", include("accounts.urls")),
    path("password/", accounts_views.storefront_password, name="storefront-password"),
    path("password/notify/", accounts_views.storefront_notify, name="storefront-notify"),
    # notifications: staff-only previews of every kind of mail
    path("staff/emails/", include("notifications.urls")),
    path("cart/", include("cart.urls")),
    # orders (issue 7): checkout, payment, the shopper's orders, payment webhooks
    path("", include("orders.urls")),
    # analytics (issue 8): staff-only usage report
    path("staff/analytics/", include("analytics.urls")),
    # live updates: the Server-Sent Events stream (live/)
    path("live/", include("live.urls")),
    path("", include("catalog.urls")),
]

# Uploaded files (product images) from this process, so one machine works out of the box.
# Larger deployments turn SERVE_MEDIA off and let the proxy or a CDN serve MEDIA_ROOT.
if settings.SERVE_MEDIA:
    urlpatterns.append(re_path(rf"^{settings.MEDIA_URL.lstrip('/')}(?P<path>.*)$", views.media, name="media"))

if settings.SHOP_BENCH:
    urlpatterns.append(path("bench/", include("bench.urls")))

# The sandbox payment provider's hosted pages (test mode), only where its app is installed.
if apps.is_installed("sandbox"):
    urlpatterns.append(path("sandbox-pay/", include("sandbox.urls")))
