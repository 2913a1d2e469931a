from django.apps import apps
from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.sitemaps import views as sitemap_views
from django.urls import include, path, re_path

from accounts import views as accounts_views
from catalog import views as catalog_views
from orders import views as orders_views
from shop import views
from storefront import views as storefront_views
from storefront.sitemaps import SITEMAPS

urlpatterns = [
    # Machine endpoints and staff pages: one URL each, in no language's prefix.
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("seen/", views.page_seen, name="page-seen"),
    path("language/", storefront_views.language_switch, name="language-switch"),
    path("admin/", admin.site.urls),
    path("robots.txt", storefront_views.robots_txt, name="robots-txt"),
    path(
        "sitemap.xml",
        sitemap_views.index,
        {"sitemaps": SITEMAPS, "sitemap_url_name": "sitemap-section"},
        name="sitemap-index",
    ),
    path("sitemap-<section>.xml", sitemap_views.sitemap, {"sitemaps": SITEMAPS}, name="sitemap-section"),
    # api (issue 19): the JSON API, its OpenAPI schema and docs
    path("api/v1/", include("api.urls")),
    # the payment provider's webhooks (orders)
    path("payments/webhook/<slug:gateway>/", orders_views.payment_webhook, name="payment-webhook"),
    # notifications: staff-only previews of every kind of mail
    path("staff/emails/", include("notifications.urls")),
    # analytics (issue 8): staff-only usage report
    path("staff/analytics/", include("analytics.urls")),
    # live updates: the Server-Sent Events stream (live/)
    path("live/", include("live.urls")),
]

# The storefront: English without a prefix, German under /de/ (shop/i18n.py picks and redirects).
urlpatterns += i18n_patterns(
    path("", catalog_views.home, name="home"),
    # storefront: content pages, the stylesheet, the cookie choice
    path("", include("storefront.urls")),
    # --- accounts (issue 5)
    path("accounts/", include("accounts.urls")),
    path("password/", accounts_views.storefront_password, name="storefront-password"),
    path("password/notify/", accounts_views.storefront_notify, name="storefront-notify"),
    path("cart/", include("cart.urls")),
    # orders (issue 7): checkout, payment, the shopper's orders
    path("", include("orders.urls")),
    path("", include("catalog.urls")),
    prefix_default_language=False,
)

# Uploaded files (product images) from this process, so one machine works out of the box.
# Larger deployments turn SERVE_MEDIA off and let the proxy or a CDN serve MEDIA_ROOT.
if settings.SERVE_MEDIA:
    urlpatterns.append(re_path(rf"^{settings.MEDIA_URL.lstrip('/')}(?P<path>.*)$", views.media, name="media"))

if settings.SHOP_BENCH:
    urlpatterns.append(path("bench/", include("bench.urls")))

# The sandbox payment provider's hosted pages (test mode), only where its app is installed.
if apps.is_installed("sandbox"):
    urlpatterns.append(path("sandbox-pay/", include("sandbox.urls")))

# Error pages in the shop's style, rendered without a database (storefront/views.py).
handler400 = "storefront.views.bad_request"
handler403 = "storefront.views.permission_denied"
handler404 = "storefront.views.page_not_found"
handler500 = "storefront.views.server_error"
