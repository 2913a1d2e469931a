"""Settings are read from the environment; production defaults are safe. Each case starts a fresh process."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "x7!k2#pL9q@zR4vT8wY1uE6oI3aS5dF0gH-jKlZcXvBnM_QwErTy",
    "ALLOWED_HOSTS": "shop.example.com",
}


def run(args, env, timeout=60):
    base = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),
        "DJANGO_SETTINGS_MODULE": "shop.settings",
    }
    return subprocess.run(args, cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=timeout)


def settings_in(env, *names):
    code = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        f"print(json.dumps({{n: getattr(s, n, None) for n in {list(names)!r}}}, default=str))"
    )
    result = run([sys.executable, "-c", code], env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_check_deploy_reports_no_issues_with_only_the_three_variables():
    result = run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "DEBUG"], PRODUCTION)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_missing_secret_key_in_production_is_a_clear_startup_error():
    result = run([sys.executable, "manage.py", "check"], {"DEBUG": "0"})

    assert result.returncode == 1
    assert "SECRET_KEY is not set" in result.stderr
    assert "Traceback" not in result.stderr


def test_gunicorn_refuses_to_start_without_secret_key_and_says_why():
    gunicorn = Path(sys.executable).with_name("gunicorn")
    result = run([str(gunicorn), "-c", "gunicorn.conf.py", "--bind", "127.0.0.1:0"], {"DEBUG": "0"})

    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr
    assert "Traceback" not in result.stderr


def test_production_defaults_assume_https():
    values = settings_in(
        PRODUCTION, "SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_HSTS_SECONDS"
    )

    assert values == {
        "SECURE_SSL_REDIRECT": True,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_HSTS_SECONDS": 31536000,
    }


def test_https_only_0_serves_production_over_plain_http():
    values = settings_in(
        {**PRODUCTION, "HTTPS_ONLY": "0"},
        "DEBUG",
        "SECURE_SSL_REDIRECT",
        "SESSION_COOKIE_SECURE",
        "SECURE_HSTS_SECONDS",
    )

    assert values == {
        "DEBUG": False,
        "SECURE_SSL_REDIRECT": False,
        "SESSION_COOKIE_SECURE": False,
        "SECURE_HSTS_SECONDS": 0,
    }


def test_debug_is_off_unless_asked_for():
    assert settings_in(PRODUCTION, "DEBUG") == {"DEBUG": False}
    assert settings_in({"DEBUG": "1"}, "DEBUG") == {"DEBUG": True}


def test_database_url_selects_postgresql_with_a_connection_pool():
    values = settings_in({**PRODUCTION, "DATABASE_URL": "postgres://u@db.internal:5432/shop"}, "DATABASES")
    db = values["DATABASES"]["default"]

    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert db["HOST"] == "db.internal"
    assert db["OPTIONS"]["pool"]["max_size"] == 4
    assert db["CONN_MAX_AGE"] == 0
    # Django then gives the pool check=ConnectionPool.check_connection: closed connections are replaced.
    assert db["CONN_HEALTH_CHECKS"] is True


def test_default_database_is_sqlite_in_the_project_folder_in_wal_mode():
    db = settings_in(PRODUCTION, "DATABASES")["DATABASES"]["default"]

    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert db["NAME"] == str(ROOT / "db.sqlite3")
    assert "journal_mode=WAL" in db["OPTIONS"]["init_command"]


def test_shop_name_currency_time_zone_and_email_come_from_the_environment():
    env = {
        **PRODUCTION,
        "SHOP_NAME": "Corner Store",
        "SHOP_CURRENCY": "USD",
        "TIME_ZONE": "Europe/Berlin",
        "EMAIL_URL": "smtp://mailer:2525",
    }
    values = settings_in(env, "SHOP_NAME", "SHOP_CURRENCY", "TIME_ZONE", "EMAIL_BACKEND", "EMAIL_HOST", "EMAIL_PORT")

    assert values == {
        "SHOP_NAME": "Corner Store",
        "SHOP_CURRENCY": "USD",
        "TIME_ZONE": "Europe/Berlin",
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "mailer",
        "EMAIL_PORT": 2525,
    }


@pytest.mark.skipif(
    subprocess.run(["redis-cli", "-h", "127.0.0.1", "ping"], capture_output=True).returncode != 0,  # noqa: S607
    reason="no Redis at 127.0.0.1:6379",
)
def test_cache_url_pointing_at_redis_uses_a_working_redis_cache():
    code = (
        "import django; django.setup(); from django.core.cache import cache; "
        "from django.core.cache import caches; cache.set('shop-settings-test', 'ok', 5); "
        "print(type(caches['default']).__name__, cache.get('shop-settings-test'))"
    )
    result = run([sys.executable, "-c", code], {**PRODUCTION, "CACHE_URL": "redis://127.0.0.1:6379/15"})

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["DegradingRedisCache", "ok"]


def test_db_pool_max_size_0_keeps_persistent_connections_instead_of_a_pool():
    env = {**PRODUCTION, "DATABASE_URL": "postgres://u@db.internal:5432/shop", "DB_POOL_MAX_SIZE": "0"}
    db = settings_in(env, "DATABASES")["DATABASES"]["default"]

    assert "pool" not in db.get("OPTIONS", {})
    assert db["CONN_MAX_AGE"] == 60
    assert db["CONN_HEALTH_CHECKS"] is True


def test_empty_url_variables_mean_the_defaults():
    env = {**PRODUCTION, "DATABASE_URL": "", "CACHE_URL": "", "EMAIL_URL": ""}
    values = settings_in(env, "DATABASES", "CACHES", "EMAIL_BACKEND")

    assert values["DATABASES"]["default"]["ENGINE"] == "django.db.backends.sqlite3"
    assert values["CACHES"]["default"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"
    assert values["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"


def test_the_session_touch_interval_follows_a_short_idle_timeout():
    assert settings_in({**PRODUCTION, "SESSION_IDLE_TIMEOUT": "10"}, "SESSION_TOUCH_INTERVAL") == {
        "SESSION_TOUCH_INTERVAL": 2
    }
    assert settings_in(PRODUCTION, "SESSION_TOUCH_INTERVAL") == {"SESSION_TOUCH_INTERVAL": 60}


def test_a_touch_interval_too_long_for_the_idle_timeout_is_refused_with_the_reason():
    env = {**PRODUCTION, "SESSION_IDLE_TIMEOUT": "10", "SESSION_TOUCH_INTERVAL": "60"}
    result = run([sys.executable, "manage.py", "check"], env)

    assert result.returncode != 0
    assert "SESSION_TOUCH_INTERVAL=60 must be at most half of SESSION_IDLE_TIMEOUT=10" in result.stderr


def test_shipping_rates_are_rounded_by_the_one_money_rule():
    values = settings_in(
        {**PRODUCTION, "ORDER_SHIPPING_RATES": "std:Standard:4.905,jp:Japan:4.904"}, "ORDER_SHIPPING_RATES"
    )

    assert values == {"ORDER_SHIPPING_RATES": {"std": ["Standard", "4.91"], "jp": ["Japan", "4.90"]}}


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("ORDER_TAX_RATE", "abc", "ORDER_TAX_RATE='abc' is not a number"),
        ("ORDER_TAX_RATE", "20", "ORDER_TAX_RATE='20' must be a fraction from 0 to 1"),
        ("ORDER_SHIPPING_RATES", "free:Free:-5", "ORDER_SHIPPING_RATES: the price of 'free': '-5' is negative"),
        (
            "ORDER_SHIPPING_RATES",
            "std:Standard:cheap",
            "ORDER_SHIPPING_RATES: the price of 'std': 'cheap' is not a number",
        ),
        ("SHOP_CURRENCY", "XYZ", "SHOP_CURRENCY='XYZ' is not an ISO 4217 currency code"),
    ],
)
def test_a_bad_money_setting_is_a_check_error_naming_the_variable(variable, value, message):
    result = run([sys.executable, "manage.py", "check"], {**PRODUCTION, variable: value})

    assert result.returncode == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_a_lowercase_currency_code_is_accepted():
    assert settings_in({**PRODUCTION, "SHOP_CURRENCY": "jpy"}, "SHOP_CURRENCY") == {"SHOP_CURRENCY": "JPY"}
