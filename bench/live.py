"""1,000 idle live streams on one ASGI instance: memory per connection, and one event's delivery to all.

    .venv/bin/python bench/live.py [--clients 1000] [--port 15450] [--database-url postgres://…/shop_live_bench]

Starts `make live`'s server (gunicorn.conf.py, one uvicorn worker) on a SQLite file of its own (default) or
the given PostgreSQL database, opens N streams on `/live/?product=1` from one asyncio client, reads the
worker's resident memory (VmRSS) before and after, then raises one stock event and times how long until
every stream has it. Prints the figures; not a test (docs/live.md, "Capacity").
"""

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def threads(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/task"))


def worker_pid(master: int) -> int:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return int(children[0])


async def open_stream(port: int, opened: asyncio.Queue, received: list, done: asyncio.Event):
    reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=2**16)
    writer.write(b"GET /live/?product=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n")
    await writer.drain()
    status = await reader.readline()
    if b" 200 " not in status:
        raise RuntimeError(status)
    await reader.readuntil(b"retry:")
    await opened.put(1)
    while not done.is_set():
        line = await reader.readline()
        if not line:
            return
        if b"event: stock-1" in line:
            received.append(time.monotonic())
            return
    writer.close()


async def load(port: int, clients: int, pid: int, database_url: str, env: dict) -> None:
    opened: asyncio.Queue = asyncio.Queue()
    received: list[float] = []
    done = asyncio.Event()
    base_rss, base_threads = rss_kib(pid), threads(pid)
    started = time.monotonic()
    tasks = []
    for n in range(clients):
        tasks.append(asyncio.create_task(open_stream(port, opened, received, done)))
        if n % 100 == 99:
            await asyncio.sleep(0.05)
    for _ in range(clients):
        await asyncio.wait_for(opened.get(), 120)
    open_seconds = time.monotonic() - started
    await asyncio.sleep(3)  # let the worker settle
    rss, worker_threads = rss_kib(pid), threads(pid)
    print(f"streams open: {clients} in {open_seconds:.1f}s")
    print(f"worker RSS: {base_rss / 1024:.1f} MiB idle → {rss / 1024:.1f} MiB with {clients} streams")
    print(f"memory per connection: {(rss - base_rss) / clients:.1f} KiB")
    print(f"worker threads: {base_threads} → {worker_threads}")

    sent = time.monotonic()
    publish = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", "from live.broker import Message, send; "
         "send(Message(topic='product:1', event='stock-1'))"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    if publish.returncode:
        raise RuntimeError(publish.stderr)
    published = time.monotonic()
    await asyncio.wait_for(asyncio.gather(*tasks), 60)
    print(
        f"one event to {len(received)} streams: all delivered {max(received) - published:.3f}s after the NOTIFY "
        f"(publisher start-up {published - sent:.1f}s not counted)"
    )
    done.set()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--port", type=int, default=15450)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    if not args.database_url:
        sys.exit("the cross-process event needs PostgreSQL: pass --database-url postgres://…")
    work = Path(tempfile.mkdtemp(prefix="live-bench-"))
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(work),
        "SECRET_KEY": "bench-secret-key-0123456789abcdefghijklmnopqrstuvwxyz",
        "HTTPS_ONLY": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": args.database_url,
        "GUNICORN_APP": "shop.asgi:application",
        "GUNICORN_WORKER_CLASS": "uvicorn_worker.UvicornWorker",
        "GUNICORN_BIND": f"127.0.0.1:{args.port}",
        "WEB_CONCURRENCY": "1",
        "GUNICORN_ACCESSLOG": "",
        "GUNICORN_GRACEFUL_TIMEOUT": "1",
        "GUNICORN_DRAIN_SECONDS": "0",
        "LIVE_MAX_CONNECTIONS": str(args.clients + 10),
        "LIVE_MAX_PER_VISITOR": str(args.clients + 10),
        "LOG_LEVEL": "WARNING",
    }
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    server = subprocess.Popen([gunicorn, "-c", "gunicorn.conf.py"], cwd=ROOT, env=env, start_new_session=True)
    try:
        from bench.servers import wait_for_port

        wait_for_port(args.port, 30)
        time.sleep(2)
        asyncio.run(load(args.port, args.clients, worker_pid(server.pid), args.database_url, env))
    finally:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


if __name__ == "__main__":
    main()
