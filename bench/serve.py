"""Which WSGI server serves wangban faster: granian or gunicorn (DESIGN.md §2).

Starts each with 2 workers in demo mode on a fresh SQLite database, loads three of our
own views with wrk (a trivial JSON view, a database query, a rendered page) and prints
requests per second. Needs `wrk` (Debian package). Usage:

    .venv/bin/python bench/serve.py [--seconds 10] [--connections 32]
"""

from __future__ import annotations

import os
import sys

# bench/calendar.py would shadow the standard library's `calendar` (which `email` and
# `urllib` import): take this directory off sys.path before anything else is imported.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]

import argparse  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import urllib.request  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
VIEWS = {"healthz": "/healthz", "readyz": "/readyz", "home": "/"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def commands(port: int) -> dict[str, list[str]]:
    granian = (
        f"-m granian --interface wsgi --port {port} --workers 2 --blocking-threads 4 --no-ws "
        "--log-level warning config.wsgi:application"
    )
    gunicorn = (
        f"-m gunicorn --bind 127.0.0.1:{port} --workers 2 --log-level warning "
        "config.wsgi:application"
    )
    return {
        "granian": [sys.executable, *granian.split()],
        "gunicorn": [sys.executable, *gunicorn.split()],
    }


def wait_for(url: str) -> None:
    for _ in range(150):
        try:
            urllib.request.urlopen(url, timeout=1).read()  # noqa: S310 - local URL
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{url} never answered")


def wrk(url: str, seconds: int, connections: int) -> float:
    out = subprocess.run(  # noqa: S603
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", url],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    if "Non-2xx" in out:
        raise SystemExit(f"errors while loading {url}:\n{out}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    assert match, out
    return float(match.group(1))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install -y wrk")

    var = Path(tempfile.mkdtemp(prefix="wangban-bench-"))
    env = {
        **os.environ,
        "WANGBAN_DEMO": "1",
        "WANGBAN_VAR_DIR": str(var),
        "DATABASE_URL": f"sqlite:///{var / 'db.sqlite3'}",
        "LOG_LEVEL": "WARNING",
    }
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True)  # noqa: S603
    subprocess.run([*manage, "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)  # noqa: S603

    figures: dict[str, float] = {}
    for server in ("granian", "gunicorn"):
        port = free_port()
        process = subprocess.Popen(commands(port)[server], cwd=ROOT, env=env)  # noqa: S603
        try:
            wait_for(f"http://127.0.0.1:{port}/healthz")
            for view, path in VIEWS.items():
                rate = wrk(f"http://127.0.0.1:{port}{path}", args.seconds, args.connections)
                figures[f"{server}_{view}_rps"] = rate
                print(f"{server:9} {path:9} {rate:10.0f} requests/s", flush=True)
        finally:
            process.terminate()
            process.wait(timeout=10)
    shutil.rmtree(var)
    print(
        json.dumps(
            {
                "benchmark": "serve",
                "unit": "requests/s",
                "workers": 2,
                "connections": args.connections,
                "seconds": args.seconds,
                **figures,
            }
        )
    )


if __name__ == "__main__":
    main()
