# The two commands: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format bench bench-http-cache bench-analytics bench-catalog bench-live live scaleout lighthouse migrate messages demo clean

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.11+ is required, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Reinstall only when a requirements file changes.
$(VENV)/.runtime: requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $(VENV)/.runtime $@

migrate: $(VENV)/.runtime
	DEBUG=1 $(PY) manage.py migrate --noinput

run: migrate
	DEBUG=1 $(PY) manage.py seed_demo --if-empty
	@# notifications: a task worker beside the web server; Ctrl-C (or any exit) stops both.
	@DEBUG=1 $(PY) manage.py outbox_worker & worker=$$!; trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	DEBUG=1 $(PY) manage.py runserver $(HOST):$(PORT)

test: $(VENV)/.dev
	$(PY) -m pytest $(PYTEST_ARGS)

# Translations: collect every marked string into locale/de/LC_MESSAGES/django.po, then compile django.mo
# (both committed). Needs GNU gettext (`apt-get install gettext`). See docs/translations.md.
MAKEMESSAGES_IGNORE := -i .venv -i node_modules -i tests -i bench -i staticfiles -i media -i sandbox
messages: $(VENV)/.runtime
	DEBUG=1 $(PY) manage.py makemessages -l de --no-location --no-wrap $(MAKEMESSAGES_IGNORE)
	DEBUG=1 $(PY) manage.py compilemessages -l de -i .venv -i node_modules

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: $(VENV)/.runtime
	$(PY) bench/run.py $(BENCH_ARGS)

# HTTP caching: anonymous catalog pages through nginx's proxy_cache vs gunicorn direct, hit rates, and a
# cart visitor bypassing the cache (bench/http_cache.py; needs Debian's nginx and wrk).
bench-http-cache: $(VENV)/.runtime
	$(PY) bench/http_cache.py $(BENCH_ARGS)

# analytics: the 90-day report over 1,000,000 events on PostgreSQL (bench/analytics_report.py).
bench-analytics: $(VENV)/.dev
	$(PY) bench/analytics_report.py $(BENCH_ARGS)

# catalog: list and search at 1,000 and 100,000 products, cache on and off, on PostgreSQL (bench/catalog_scale.py).
bench-catalog: $(VENV)/.dev
	$(PY) bench/catalog_scale.py $(BENCH_ARGS)

# live updates: the ASGI server of the /live/ event streams (uvicorn workers under gunicorn), beside the
# WSGI one; the proxy sends /live/ here (docs/live.md). LIVE_BIND picks its address.
LIVE_BIND ?= 127.0.0.1:8001
live: $(VENV)/.runtime
	GUNICORN_APP=shop.asgi:application GUNICORN_WORKER_CLASS=uvicorn_worker.UvicornWorker \
	GUNICORN_BIND=$(LIVE_BIND) $(VENV)/bin/gunicorn -c gunicorn.conf.py

# live: 1,000 idle streams on one instance, memory per connection (bench/live.py; needs PostgreSQL).
bench-live: $(VENV)/.dev
	$(PY) bench/live.py $(BENCH_ARGS)

# Lighthouse scores of home, list, detail, cart and checkout, mobile and desktop (bench/lighthouse.py; needs
# `npm ci --ignore-scripts` and Debian's Chromium). LIGHTHOUSE_ARGS picks pages, presets, categories, --check.
lighthouse: $(VENV)/.runtime
	$(PY) bench/lighthouse.py $(LIGHTHOUSE_ARGS)

# The two-instance proof behind haproxy, with faults (bench/scaleout.py); BENCH_ARGS=--ci keeps it short.
scaleout: $(VENV)/.dev
	$(PY) bench/scaleout.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) staticfiles .pytest_cache bench/.work
