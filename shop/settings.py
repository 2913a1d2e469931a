"""Settings for shop: every value comes from the environment (an optional `.env` file is read first).

The README lists each variable with its default. Production (DEBUG off) assumes HTTPS.
"""

import hashlib
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from catalog.money import InvalidMoney, money

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# Values already in the environment win over the file.
environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set the SECRET_KEY environment variable to a long random "
            "string (or set DEBUG=1 for local development)."
        )
    SECRET_KEY = "dev-only-key-never-used-in-production-0123456789abcdefghijkl"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "accounts",
    "catalog",
    "cart",
    "orders",
    "discounts",
    "notifications",
    "analytics",
    "storefront",
    "pricing",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    # its translations: country names in the active language (address forms, order pages)
    "django_countries",
    "django_htmx",
    "template_partials",
    "csp",
    "axes",
    # api (issue 19): the JSON API under /api/v1/ (ninja serves its docs' assets from our static files)
    "api",
    "ninja",
    "corsheaders",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "shop.middleware.PermissionsPolicyMiddleware",
    "shop.middleware.ControlCharactersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Gzip for HTML and other text, with Django's BREACH padding (see the class); static files come
    # precompressed from WhiteNoise above.
    "shop.middleware.TextGZipMiddleware",
    # A `public` answer sets no cookie and does not vary by Cookie, whichever layer below touched it.
    "shop.middleware.PublicResponseMiddleware",
    # api: CORS headers for API_CORS_ORIGINS on /api/ only (none by default).
    "corsheaders.middleware.CorsMiddleware",
    "csp.middleware.CSPMiddleware",
    "accounts.middleware.SessionMiddleware",
    # The language: /de/ pages German; an unprefixed storefront page redirects a visitor whose language
    # cookie or Accept-Language asks for German; other pages follow the cookie or header (shop/i18n.py).
    "shop.i18n.ShopLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # The token-less first POST of a visitor without state passes the CSRF check (shop/shared.py).
    "shop.middleware.FreshVisitorCsrfMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # accounts: keeps User.language, the language of the mail a worker sends the user later.
    "accounts.middleware.UserLanguageMiddleware",
    # Everything answered to a logged-in visitor is `no-store, private`.
    "shop.middleware.PrivatePagesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # cart (issue 6): sets or deletes the anonymous cart cookie when a view asked for it.
    "cart.middleware.CartCookieMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "accounts.middleware.HtmxLoginRedirectMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # analytics (issue 8): the visitor cookie, set only when an event was recorded.
    "analytics.middleware.VisitorCookieMiddleware",
    "accounts.middleware.StorefrontGateMiddleware",
    # django-axes must come last (STACK.md).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "shop.urls"
WSGI_APPLICATION = "shop.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:profile"
LOGOUT_REDIRECT_URL = "home"

# Forms render Django's own markup for labels, inputs, selects and errors written in Python (shop/widgets.py:
# character for character, tested): a form through Django's ~60 small templates cost milliseconds per page.
# Any other template (the admin's own widgets, a textarea) renders through Django as usual.
FORM_RENDERER = "shop.widgets.FastFormRenderer"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                # LANGUAGE_CODE: cached fragments that show prices vary by it (money is formatted per language).
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "shop.context_processors.shop",
                # After Django's own csrf processor: no token on a page for a shared cache.
                "shop.context_processors.csrf",
                "storefront.context_processors.storefront",
                "cart.context_processors.cart",
            ],
            "builtins": [
                "template_partials.templatetags.partials",
                "storefront.templatetags.seo",
                "storefront.templatetags.markup",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------
# An empty *_URL variable means "use the default", like an unset one.
DATABASES = {
    "default": env.db_url_config(env.str("DATABASE_URL", default="") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the one writer; IMMEDIATE takes the write lock up front so
    # concurrent writers wait (up to `timeout` seconds) instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        "transaction_mode": "IMMEDIATE",
        "timeout": env.int("SQLITE_TIMEOUT", default=20),
    }
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # One psycopg pool per process (Django requires CONN_MAX_AGE = 0 with a pool);
    # DB_POOL_MAX_SIZE=0 keeps one persistent connection per process instead.
    if env.int("DB_POOL_MAX_SIZE", default=4):
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": env.int("DB_POOL_MIN_SIZE", default=1),
            "max_size": env.int("DB_POOL_MAX_SIZE", default=4),
            "timeout": env.float("DB_POOL_TIMEOUT", default=5.0),
        }
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        # Django passes this to psycopg_pool as check=ConnectionPool.check_connection: a connection the
        # server closed (restart, failover) is replaced before a request gets it.
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
        # psycopg_pool retries a failed connection after 1 s, doubling each time: after a few seconds'
        # outage its next try may come seconds after the server is back, and requests time out waiting
        # for it (bench/scaleout.py showed it). Retry at a steady pace instead (the pool adds jitter).
        from psycopg_pool.base import AttemptWithBackoff

        AttemptWithBackoff.INITIAL_DELAY = env.float("DB_POOL_RECONNECT_DELAY", default=0.5)
        AttemptWithBackoff.DELAY_BACKOFF = 1.0
    else:
        DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------------------------------
CACHES = {"default": env.cache_url_config(env.str("CACHE_URL", default="") or "locmemcache://")}
if "redis" in CACHES["default"]["BACKEND"].lower():
    # Redis only accelerates: a call that fails or hangs acts as a miss (shop/cache.py), quickly.
    CACHES["default"]["BACKEND"] = "shop.cache.DegradingRedisCache"
    CACHES["default"]["OPTIONS"] = {
        "socket_connect_timeout": env.float("CACHE_TIMEOUT", default=0.25),
        "socket_timeout": env.float("CACHE_TIMEOUT", default=0.25),
    }
# Seconds the cache is left alone after an error before one request tries it again; errors are
# logged at most once per CACHE_ERROR_LOG_INTERVAL seconds.
CACHE_RETRY_INTERVAL = env.float("CACHE_RETRY_INTERVAL", default=2.0)
CACHE_ERROR_LOG_INTERVAL = env.float("CACHE_ERROR_LOG_INTERVAL", default=60.0)

# --- E-mail ---------------------------------------------------------------------------------------
vars().update(env.email_url_config(env.str("EMAIL_URL", default="") or "consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="shop@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Passwords ------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Accounts, sessions, login throttling (issue 5) -------------------------------------------------
# Server-side sessions on accounts.Session; the row's expire_date is the truth on every instance.
SESSION_ENGINE = (
    "accounts.sessions.cached_db" if "redis" in CACHES["default"]["BACKEND"].lower() else "accounts.sessions.db"
)
SESSION_IDLE_TIMEOUT = env.int("SESSION_IDLE_TIMEOUT", default=1800)
SESSION_MAX_AGE = env.int("SESSION_MAX_AGE", default=14 * 24 * 3600)
# An active session's row is written at most this often (sliding the idle expiry). It follows a short
# idle timeout (a quarter of it, at most 60 s): a touch interval as long as the timeout would log out
# even a visitor who never stops clicking.
SESSION_TOUCH_INTERVAL = env.int("SESSION_TOUCH_INTERVAL", default=min(60, max(1, SESSION_IDLE_TIMEOUT // 4)))
if SESSION_TOUCH_INTERVAL * 2 > SESSION_IDLE_TIMEOUT:
    raise ImproperlyConfigured(
        f"SESSION_TOUCH_INTERVAL={SESSION_TOUCH_INTERVAL} must be at most half of SESSION_IDLE_TIMEOUT="
        f"{SESSION_IDLE_TIMEOUT}, or active sessions expire; leave it unset to follow the timeout."
    )
SESSION_COOKIE_AGE = SESSION_MAX_AGE
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# With N proxies in front that append to X-Forwarded-For, the N-th address from the right is the client.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_FAILURE_WINDOW = env.int("LOGIN_FAILURE_WINDOW", default=900)
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(seconds=LOGIN_FAILURE_WINDOW)
# Per (account, client IP) pair and per client IP, never per account alone: wrong passwords typed from
# one address cannot lock the owner out from another, and one address spraying many accounts is stopped.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_USERNAME_CALLABLE = "accounts.throttle.login_username"
AXES_CLIENT_IP_CALLABLE = "accounts.net.client_ip"
AXES_LOCKOUT_CALLABLE = "accounts.views.login_locked_out"
AXES_RESET_ON_SUCCESS = False
# Successful logins are not logged: sessions already record what the shopper may see.
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False

# --- Storefront password gate (issue 5) -----------------------------------------------------------
SHOP_PASSWORD = env.str("SHOP_PASSWORD", default="")
SHOP_PASSWORD_TTL = env.int("SHOP_PASSWORD_TTL", default=300)
SHOP_PASSWORD_RETRY_AFTER = env.int("SHOP_PASSWORD_RETRY_AFTER", default=3600)
# The stylesheet and the legal pages (imprint, privacy) stay readable before the shop opens; the paths of
# storefront pages hold in every language (/de/pages/ too).
SHOP_PASSWORD_EXEMPT_PATHS = ["/admin/", "/payments/webhook/", "/password/", "/assets/", "/pages/"]

# --- Internationalisation -------------------------------------------------------------------------
LANGUAGE_CODE = "en"
# The storefront's languages: English (the default, unprefixed URLs) and German (/de/...).
LANGUAGES = [("en", "English"), ("de", "Deutsch")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# The switcher's cookie (storefront.views.language_switch): a year.
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
# Catalog: serve MEDIA_ROOT from Django itself (one machine); turn off when a proxy or CDN serves it.
SERVE_MEDIA = env.bool("SERVE_MEDIA", default=True)
# Seconds browsers and caches keep a media file (product images) before revalidating it.
MEDIA_CACHE_SECONDS = env.int("MEDIA_CACHE_SECONDS", default=86400)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- Security -------------------------------------------------------------------------------------
# Production assumes HTTPS; HTTPS_ONLY=0 serves production mode over plain HTTP (loopback trials).
HTTPS_ONLY = env.bool("HTTPS_ONLY", default=not DEBUG)
SECURE_SSL_REDIRECT = HTTPS_ONLY
SESSION_COOKIE_SECURE = HTTPS_ONLY
CSRF_COOKIE_SECURE = HTTPS_ONLY
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000) if HTTPS_ONLY else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
# Browser features no page of the shop uses: each is sent as `feature=()` (denied to every origin).
PERMISSIONS_POLICY = env.list(
    "PERMISSIONS_POLICY",
    default=["camera", "microphone", "geolocation", "payment", "usb", "interest-cohort", "browsing-topics"],
)
if env.bool("BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# htmx runs under this policy: no inline scripts or styles, no eval (see templates/base.html).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

# --- Logging: one JSON object per line on stdout ------------------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {"stdout": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "json"}},
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {
        # A bad Host header is a crawler's noise, not an error to page anyone about.
        "django.security.DisallowedHost": {"handlers": ["stdout"], "level": "WARNING", "propagate": False},
    },
}

# --- The shop -------------------------------------------------------------------------------------
SHOP_NAME = env.str("SHOP_NAME", default="Shop")
# An ISO 4217 code; `manage.py check` names an unknown one (catalog/money.py rounds and formats by it).
SHOP_CURRENCY = env.str("SHOP_CURRENCY", default="EUR").strip().upper()
# Floor views for `make bench` (bench/); never mounted in normal operation.
# Anonymous catalog pages for visitors without state: seconds a shared cache (CDN, proxy) keeps them
# (`s-maxage`; browsers revalidate with the ETag every time). SHOP_RELEASE (e.g. the deployed commit)
# is part of their ETag, so a deploy that changes templates is not answered with 304.
SHOP_SHARED_CACHE_SECONDS = env.int("SHOP_SHARED_CACHE_SECONDS", default=60)
SHOP_RELEASE = env.str("SHOP_RELEASE", default="")
SHOP_BENCH = env.bool("SHOP_BENCH", default=False)

# --- accounts (issue 5): django-axes logs lockouts as warnings; its per-attempt INFO lines are noise.
LOGGING["loggers"]["axes"] = {"handlers": ["stdout"], "level": "WARNING", "propagate": False}

# --- Storefront: SEO, cookies, error pages (storefront/) -------------------------------------------
# The description of pages without their own (products and categories have one; the brand's wins).
SEO_DEFAULT_DESCRIPTION = env.str(
    "SEO_DEFAULT_DESCRIPTION", default="Good things, fairly priced, delivered to your door."
)
# Query parameters a canonical URL keeps; every other one (sort, filters, facets, page size) is dropped.
SEO_CANONICAL_PARAMS = env.list("SEO_CANONICAL_PARAMS", default=["page"])
# URLs per sitemap file (the protocol's maximum is 50,000); above it sitemap.xml is an index of pages.
SEO_SITEMAP_LIMIT = env.int("SEO_SITEMAP_LIMIT", default=50_000)
# Paths robots.txt asks crawlers to leave alone (private, per-visitor or staff pages).
SEO_ROBOTS_DISALLOW = env.list(
    "SEO_ROBOTS_DISALLOW",
    default=["/admin/", "/accounts/", "/cart/", "/checkout/", "/orders/", "/staff/", "/api/", "/password/"],
)
# Analytics' visitor cookie waits for the visitor's "allow" in the cookie notice (opt-in) when on;
# off, it is counted until the visitor declines (opt-out). See docs/storefront.md.
ANALYTICS_REQUIRE_CONSENT = env.bool("ANALYTICS_REQUIRE_CONSENT", default=False)
CSRF_FAILURE_VIEW = "storefront.views.csrf_failure"

# --- Background tasks and the e-mail outbox (notifications) ---------------------------------------
# django-tasks with its database backend: no broker; workers run `manage.py outbox_worker`
# (db_worker on every queue plus the periodic outbox sweep). See docs/operations.md.
INSTALLED_APPS += ["django_tasks", "django_tasks_db"]
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# Seconds an SMTP connection may hang before a delivery attempt counts as failed.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
# Where links in mail point: workers have no request to build absolute URLs from.
SHOP_BASE_URL = env.str("SHOP_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")
NOTIFY_MAX_ATTEMPTS = env.int("NOTIFY_MAX_ATTEMPTS", default=10)
NOTIFY_BACKOFF_SECONDS = env.int("NOTIFY_BACKOFF_SECONDS", default=60)
NOTIFY_BACKOFF_MAX_SECONDS = env.int("NOTIFY_BACKOFF_MAX_SECONDS", default=3600)
NOTIFY_RATE_PER_RECIPIENT_HOUR = env.int("NOTIFY_RATE_PER_RECIPIENT_HOUR", default=10)
NOTIFY_RATE_TOTAL_HOUR = env.int("NOTIFY_RATE_TOTAL_HOUR", default=1000)
NOTIFY_SENDING_TIMEOUT = env.int("NOTIFY_SENDING_TIMEOUT", default=600)
NOTIFY_SWEEP_INTERVAL = env.int("NOTIFY_SWEEP_INTERVAL", default=60)
# A task worker that lost the database retries after 1 s, doubling up to this many seconds.
WORKER_BACKOFF_MAX_SECONDS = env.float("WORKER_BACKOFF_MAX_SECONDS", default=30.0)

# --- Orders and payments (issue 7) ------------------------------------------------------------------
# The payment provider (orders/gateways/): "sandbox" moves no money and needs nothing else.
PAYMENT_GATEWAY = env.str("PAYMENT_GATEWAY", default="sandbox")
# HMAC key of the provider's webhooks; without one, a key derived from SECRET_KEY (fine for the sandbox).
PAYMENT_WEBHOOK_SECRET = (
    env.str("PAYMENT_WEBHOOK_SECRET", default="")
    or hashlib.sha256(f"payment-webhook:{SECRET_KEY}".encode()).hexdigest()
)
# Seconds a webhook's signed timestamp may differ from our clock before the event is refused.
PAYMENT_WEBHOOK_TOLERANCE = env.int("PAYMENT_WEBHOOK_TOLERANCE", default=300)
# Seconds after a payment starts when a task asks the provider how it stands (and again while it is open):
# an interrupted payment heals itself.
PAYMENT_RECONCILE_AFTER = timedelta(seconds=env.int("PAYMENT_RECONCILE_AFTER", default=180))
# The sandbox provider (the `sandbox` app, test mode, no money): production sets PAYMENT_SANDBOX=0.
PAYMENT_SANDBOX = env.bool("PAYMENT_SANDBOX", default=True)
if PAYMENT_SANDBOX:
    INSTALLED_APPS += ["sandbox"]
# Stripe (PAYMENT_GATEWAY=stripe; `manage.py check` names any that is missing). See docs/payments.md.
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_PUBLISHABLE_KEY = env.str("STRIPE_PUBLISHABLE_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="https://api.stripe.com")
if PAYMENT_GATEWAY == "stripe":
    # The Pay form posts to us and is redirected to Stripe's hosted page: CSP form-action covers redirects.
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"] += ["https://checkout.stripe.com"]


def _duration(value: str) -> timedelta:
    """'900', '900s', '15m', '2h' -> timedelta."""
    value = value.strip().lower()
    units = {"s": 1, "m": 60, "h": 3600}
    try:
        if value[-1:] in units:
            return timedelta(seconds=float(value[:-1]) * units[value[-1]])
        return timedelta(seconds=float(value))
    except ValueError:
        raise ImproperlyConfigured(f"ORDER_RESERVATION_TTL={value!r}: use seconds or 15m, 2h.") from None


# How long an unpaid order holds its stock before it is cancelled.
ORDER_RESERVATION_TTL = _duration(env.str("ORDER_RESERVATION_TTL", default="15m"))


def _amount(value: str) -> Decimal | str:
    """A money setting read leniently: a price by the one money rule, else the text as typed.

    The text is left for orders/checks.py, which names the variable in a `manage.py check` error.
    """
    try:
        return money(value, SHOP_CURRENCY)
    except (InvalidMoney, TypeError):
        return value


def _shipping_rates(value: str) -> dict[str, tuple[str, Decimal | str]]:
    """'standard:Standard delivery:4.90,express:Express delivery:12.00' -> {code: (label, price)}."""
    rates = {}
    for item in filter(None, (part.strip() for part in value.split(","))):
        try:
            code, label, price = (piece.strip() for piece in item.split(":"))
        except ValueError:
            raise ImproperlyConfigured(f"ORDER_SHIPPING_RATES: cannot read {item!r} (code:label:price).") from None
        rates[code] = (label, _amount(price))
    if not rates:
        raise ImproperlyConfigured("ORDER_SHIPPING_RATES needs at least one rate (code:label:price).")
    return rates


ORDER_SHIPPING_RATES = _shipping_rates(
    env.str("ORDER_SHIPPING_RATES", default="standard:Standard delivery:4.90,express:Express delivery:12.00")
)
# The fallback tax rate, as a fraction (0.2 for 20 %), for a country (and tax class) without a rate in the
# admin's tax rates; 0: no tax there. Kept as typed: pricing.checks names a bad value, pricing.tax reads it.
ORDER_TAX_RATE = env.str("ORDER_TAX_RATE", default="0") or "0"

# --- Prices and tax (pricing/) ---------------------------------------------------------------------
# True (EU consumer shops): prices are entered and shown including VAT, the tax is extracted from them.
# False: prices are net, shown "excl. VAT", and the tax is added at checkout.
SHOP_PRICES_INCLUDE_TAX = env.bool("SHOP_PRICES_INCLUDE_TAX", default=True)
# The seller's legal details on invoices; the country (ISO code) also decides EU reverse charge.
SHOP_SELLER_NAME = env.str("SHOP_SELLER_NAME", default="")
SHOP_SELLER_ADDRESS = env.str("SHOP_SELLER_ADDRESS", default="")  # lines separated by "|"
SHOP_SELLER_VAT_NUMBER = env.str("SHOP_SELLER_VAT_NUMBER", default="")
SHOP_SELLER_COUNTRY = env.str("SHOP_SELLER_COUNTRY", default="DE").upper()

# --- Guest checkout, order links, verified addresses ------------------------------------------------
# Seconds a signed order link (confirmation mail, order page, lookup mail) opens its order.
ORDER_LINK_MAX_AGE = env.int("ORDER_LINK_MAX_AGE", default=90 * 24 * 3600)
# The order lookup (number + e-mail → the link by mail): requests per client IP and per address per window.
ORDER_LOOKUP_LIMIT = env.int("ORDER_LOOKUP_LIMIT", default=5)
ORDER_LOOKUP_WINDOW = env.int("ORDER_LOOKUP_WINDOW", default=3600)
# Seconds an e-mail confirmation link stays valid (each link works once).
ACCOUNT_EMAIL_CONFIRM_MAX_AGE = env.int("ACCOUNT_EMAIL_CONFIRM_MAX_AGE", default=3 * 24 * 3600)
# True: only accounts with a confirmed address check out (and no guest checkout, whose address nobody confirmed).
CHECKOUT_REQUIRES_VERIFIED_EMAIL = env.bool("CHECKOUT_REQUIRES_VERIFIED_EMAIL", default=False)
# "Download my data": files larger than this many bytes are also mailed as a link, valid this many seconds.
ACCOUNT_EXPORT_MAIL_THRESHOLD = env.int("ACCOUNT_EXPORT_MAIL_THRESHOLD", default=256 * 1024)
ACCOUNT_EXPORT_LINK_MAX_AGE = env.int("ACCOUNT_EXPORT_LINK_MAX_AGE", default=7 * 24 * 3600)

# --- Cart (issue 6) -------------------------------------------------------------------------------
# The most of one product a cart line may hold (also capped by stock).
CART_MAX_QUANTITY_PER_LINE = env.int("CART_MAX_QUANTITY_PER_LINE", default=10)
# Voucher guessing: after this many unknown codes from one cart or IP address within the window
# (seconds), every try is refused until the window ends.
VOUCHER_GUESS_LIMIT = env.int("VOUCHER_GUESS_LIMIT", default=10)
VOUCHER_GUESS_WINDOW = env.int("VOUCHER_GUESS_WINDOW", default=600)
# Lifetime of the anonymous cart cookie, renewed by every change to the cart.
CART_COOKIE_AGE = env.int("CART_COOKIE_AGE", default=30 * 24 * 3600)

# --- Usage statistics (analytics, issue 8): see docs/analytics.md ---------------------------------
ANALYTICS_ENABLED = env.bool("ANALYTICS_ENABLED", default=True)
# Staff may read the report only from these addresses or networks (empty: from anywhere).
ANALYTICS_ALLOWED_IPS = env.list("ANALYTICS_ALLOWED_IPS", default=[])
# Each process buffers events in memory; a thread writes them every this many seconds (0: only on
# an explicit flush — tests), or sooner once ANALYTICS_BATCH_SIZE are waiting.
ANALYTICS_FLUSH_INTERVAL = env.float("ANALYTICS_FLUSH_INTERVAL", default=2.0)
ANALYTICS_BATCH_SIZE = env.int("ANALYTICS_BATCH_SIZE", default=500)
# Events buffered beyond this (database down for long) are dropped and counted.
ANALYTICS_BUFFER_MAX = env.int("ANALYTICS_BUFFER_MAX", default=20_000)
# Seconds a search may still be replaced by the same visitor's longer query (search as you type).
ANALYTICS_SEARCH_SETTLE = env.float("ANALYTICS_SEARCH_SETTLE", default=10.0)
# Lifetime of the random visitor cookie; metrics count visitor-days, so a day is enough.
ANALYTICS_VISITOR_TTL = env.int("ANALYTICS_VISITOR_TTL", default=24 * 3600)
# A day's roll-up is final once made this many seconds after the day ended (late buffered events).
ANALYTICS_ROLLUP_GRACE = env.int("ANALYTICS_ROLLUP_GRACE", default=300)
# Seconds between roll-up tasks enqueued by each `outbox_worker` (0: off; the report rolls up on demand).
ANALYTICS_ROLLUP_INTERVAL = env.int("ANALYTICS_ROLLUP_INTERVAL", default=900)

# --- JSON API (api, issue 19): see docs/api.md -------------------------------------------------------
# Session tokens (a password login from an app) expire this many seconds after their last use.
API_SESSION_TOKEN_TTL = env.int("API_SESSION_TOKEN_TTL", default=300)
# A token's row is written (last use, sliding expiry) at most this often.
API_TOKEN_TOUCH_INTERVAL = env.int("API_TOKEN_TOUCH_INTERVAL", default=30)
# Lifetime of a personal token when its owner picks none; the most one may ask for.
API_TOKEN_DEFAULT_DAYS = env.int("API_TOKEN_DEFAULT_DAYS", default=90)
API_TOKEN_MAX_DAYS = env.int("API_TOKEN_MAX_DAYS", default=365)
# Requests per minute per token, and per client address (any caller, with or without a token).
API_RATE_PER_TOKEN = env.int("API_RATE_PER_TOKEN", default=120)
API_RATE_PER_IP = env.int("API_RATE_PER_IP", default=300)
# The largest request body the API reads.
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=64 * 1024)
# Seconds an Idempotency-Key's first response is replayed.
API_IDEMPOTENCY_TTL = env.int("API_IDEMPOTENCY_TTL", default=24 * 3600)
# Outbound webhooks: attempts, backoff (doubling, capped) and the receiver's time to answer.
API_WEBHOOK_MAX_ATTEMPTS = env.int("API_WEBHOOK_MAX_ATTEMPTS", default=8)
API_WEBHOOK_BACKOFF_SECONDS = env.int("API_WEBHOOK_BACKOFF_SECONDS", default=30)
API_WEBHOOK_BACKOFF_MAX_SECONDS = env.int("API_WEBHOOK_BACKOFF_MAX_SECONDS", default=3600)
API_WEBHOOK_TIMEOUT = env.int("API_WEBHOOK_TIMEOUT", default=10)
# CORS: off unless origins are listed (https://app.example.com,…); only ever for /api/.
CORS_ALLOWED_ORIGINS = env.list("API_CORS_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_HEADERS = ["authorization", "content-type", "idempotency-key", "if-none-match"]
CORS_EXPOSE_HEADERS = ["etag", "retry-after", "location"]

# --- Live updates: Server-Sent Events at /live/, fanned out by PostgreSQL NOTIFY (docs/live.md) ------------
INSTALLED_APPS += ["live"]
# 0: pages open no push channel and rely on their polling alone.
LIVE_ENABLED = env.bool("LIVE_ENABLED", default=True)
# Streams one process keeps open; over it, 429 with Retry-After (the browser backs off and retries).
LIVE_MAX_CONNECTIONS = env.int("LIVE_MAX_CONNECTIONS", default=2000)
# Streams one visitor (session, or client address without one) may hold on one process: its tabs.
LIVE_MAX_PER_VISITOR = env.int("LIVE_MAX_PER_VISITOR", default=8)
# A stream that sent no event for this many seconds is closed (the page reconnects if it is still open).
LIVE_IDLE_TIMEOUT = env.int("LIVE_IDLE_TIMEOUT", default=600)
# A stream ends at its session's expiry and at the latest after this many seconds; then it reconnects
# with the rights the session still has.
LIVE_STREAM_MAX_AGE = env.int("LIVE_STREAM_MAX_AGE", default=3600)
# Seconds between keep-alive comments: finds dead peers, keeps proxies from closing a quiet stream.
LIVE_HEARTBEAT = env.float("LIVE_HEARTBEAT", default=20.0)
# Milliseconds the browser waits before reconnecting a stream that ended (the SSE `retry:` field).
LIVE_RETRY_MS = env.int("LIVE_RETRY_MS", default=2000)
# Messages a stream may fall behind before it is closed (a slow client never holds anyone else up).
LIVE_QUEUE_SIZE = env.int("LIVE_QUEUE_SIZE", default=64)
# Seconds between attempts to get the LISTEN connection back while PostgreSQL is away.
LIVE_RECONNECT_DELAY = env.float("LIVE_RECONNECT_DELAY", default=0.5)
