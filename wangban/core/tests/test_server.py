"""The real servers: granian answers health checks, and `serve` stops cleanly on Ctrl-C."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def demo_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DATABASE_URL"}}
    return {
        **env,
        "WANGBAN_DEMO": "1",
        "WANGBAN_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        **extra,
    }


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def wait_until_serving(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, "server exited early"
        try:
            get(url)
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer")


def test_readyz_is_503_when_the_database_is_down(tmp_path: Path) -> None:
    port = free_port()
    env = demo_env(tmp_path, DATABASE_URL="postgres://postgres@127.0.0.1:1/nothing")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "granian",
            "--interface",
            "wsgi",
            "--port",
            str(port),
            "--workers",
            "1",
            "config.wsgi:application",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_serving(f"http://127.0.0.1:{port}/healthz", server)
        assert get(f"http://127.0.0.1:{port}/healthz") == (200, '{"status": "ok"}')
        status, body = get(f"http://127.0.0.1:{port}/readyz")
        assert status == 503
        assert body == '{"status": "unavailable", "database": "down"}'
    finally:
        server.terminate()
        server.wait(timeout=30)  # a graceful stop takes longer on a busy machine


def test_serve_runs_web_and_worker_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    env = demo_env(tmp_path)
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([*manage, "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    port = free_port()
    serve = subprocess.Popen(
        [*manage, "serve", "--port", str(port), "--workers", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until_serving(f"http://127.0.0.1:{port}/readyz", serve)
        assert get(f"http://127.0.0.1:{port}/readyz")[0] == 200
        status, html = get(f"http://127.0.0.1:{port}/")
        assert status == 200
        assert "演示环境" in html
        assert get(f"http://127.0.0.1:{port}/static/wangban/css/wangban.css")[0] == 200
        workers = subprocess.run(
            ["pgrep", "-f", "manage.py db_worker", "-P", str(serve.pid)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert workers.stdout.strip(), "the task worker is not running"
        serve.send_signal(signal.SIGINT)
        output = serve.communicate(timeout=20)[0].decode()
    finally:
        if serve.poll() is None:
            serve.kill()
    assert serve.returncode == 0
    assert "已停止" in output
    leftovers = subprocess.run(
        ["pgrep", "-f", f"granian.*--port {port}"], capture_output=True, text=True, check=False
    )
    assert leftovers.stdout == "", "granian workers outlived serve"
    assert (
        subprocess.run(
            ["pgrep", "-P", str(serve.pid)],
            capture_output=True,
            check=False,
        ).returncode
        == 1
    )
