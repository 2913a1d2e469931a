"""Test settings: the real settings, with what an http live server and a fresh checkout need."""

import os

os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production-0123456789abcdefghij")
os.environ.setdefault("HTTPS_ONLY", "0")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("EMAIL_URL", "memorymail://")

from shop.settings import *  # noqa: E402,F403
from shop.settings import STORAGES  # noqa: E402

# The manifest storage needs `collectstatic`; tests serve from the finders instead.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# analytics: no flush thread; tests write buffered events with analytics.services.events_flush().
ANALYTICS_FLUSH_INTERVAL = 0
# live: short keep-alives, so a server notices at once that a test closed its stream.
LIVE_HEARTBEAT = 0.2
