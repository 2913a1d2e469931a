"""gunicorn as gunicorn.conf.py runs it: no Server banner, the drain on SIGTERM, the health listener.

A real gunicorn per test on free loopback ports, over a SQLite file of its own (the probes need no tables).
"""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from tests.orders.test_concurrency_http import GUNICORN, ROOT, free_port


@pytest.fixture
def gunicorn(tmp_path):
    port, health = free_port(), free_port()
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "shop.settings_test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_HEALTH_BIND": f"127.0.0.1:{health}",
        "GUNICORN_DRAIN_SECONDS": "2",
        "WEB_CONCURRENCY": "1",
        "GUNICORN_ACCESSLOG": "",
        "LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen(
        [GUNICORN, "-c", "gunicorn.conf.py"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            get(f"http://127.0.0.1:{health}/healthz")
            get(base + "/healthz")
            break
        except OSError:
            time.sleep(0.1)
    yield process, base, f"http://127.0.0.1:{health}"
    if process.poll() is None:
        process.kill()
    process.wait(timeout=10)


def get(url: str) -> tuple[int, dict, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, dict(exc.headers), exc.read()


def test_answers_name_no_server_software(gunicorn):
    _, base, _ = gunicorn

    status, headers, _ = get(base + "/healthz")

    assert status == 200
    assert headers["Server"] == "shop"
    assert "gunicorn" not in json.dumps(headers).lower()
    assert "Permissions-Policy" in headers


def test_sigterm_drains_readiness_first_while_requests_are_still_served(gunicorn):
    process, base, _ = gunicorn
    assert get(base + "/readyz")[0] == 200

    process.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    status, _, body = get(base + "/readyz")
    still_served = get(base + "/healthz")[0]

    assert status == 503
    assert json.loads(body)["status"] == "draining"
    assert still_served == 200
    assert process.wait(timeout=30) == 0


def test_the_health_listener_answers_from_the_master(gunicorn):
    _, _, health = gunicorn

    status, headers, body = get(health + "/healthz")

    assert (status, body) == (200, b"ok\n")
    assert headers["Server"].startswith("shop")
    assert get(health + "/other")[0] == 404


def test_healthz_listener_is_off_unless_configured():
    code = "import runpy; c = runpy.run_path('gunicorn.conf.py'); print(repr(c['HEALTH_BIND']), c['worker_class'])"
    env = {"PATH": os.environ["PATH"], "HOME": "/tmp"}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)

    assert result.stdout.split() == ["''", "gthread"], result.stderr


def test_a_worker_freezes_what_it_loaded_out_of_the_garbage_collectors_sight():
    code = (
        "import gc, runpy; c = runpy.run_path('gunicorn.conf.py'); before = gc.get_freeze_count();"
        " c['post_worker_init'](None); print(before, gc.get_freeze_count())"
    )
    env = {"PATH": os.environ["PATH"], "HOME": "/tmp"}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)

    before, after = (int(n) for n in result.stdout.split())
    assert before == 0, result.stderr
    assert after > 1000
