"""Serve wangban: the WSGI server, the task worker and the periodic-job loop together.

`make run` uses this; Ctrl-C (or SIGTERM) stops all three. In production run the
three as separate services instead (docs/deployment.md).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


def _signal_group(child: subprocess.Popen[bytes], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # the whole group has already exited
        os.killpg(child.pid, signum)


class Command(BaseCommand):
    help = "启动 WSGI 服务、后台任务进程和定时任务循环；Ctrl-C 一并停止。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument(
            "--period", type=int, default=60, help="seconds between runs of the periodic jobs"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        python = sys.executable
        granian = (
            f"-m granian --interface wsgi --host {options['host']} --port {options['port']} "
            f"--workers {options['workers']} --blocking-threads 4 --no-ws config.wsgi:application"
        )
        # Each child leads its own process group, so that stopping reaches granian's
        # workers too, and a Ctrl-C at the terminal reaches only this process, which then
        # stops the children in order.
        children = [
            subprocess.Popen([python, *granian.split()], start_new_session=True),  # noqa: S603
            subprocess.Popen([python, "manage.py", "db_worker"], start_new_session=True),  # noqa: S603
        ]
        stopping = False

        def stop(signum: int, frame: FrameType | None) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        url = f"http://{options['host']}:{options['port']}/"
        self.stdout.write(f"网办已启动：{url} （Ctrl-C 停止）")
        next_run = 0.0
        try:
            while not stopping:
                if any(child.poll() is not None for child in children):
                    self.stderr.write("a child process exited; stopping")
                    break
                if time.monotonic() >= next_run:
                    self.run_periodic_jobs()
                    next_run = time.monotonic() + options["period"]
                time.sleep(0.5)
        finally:
            for child in children:
                _signal_group(child, signal.SIGTERM)
            deadline = time.monotonic() + 10
            for child in children:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    child.wait(timeout=max(0.1, deadline - time.monotonic()))
                _signal_group(child, signal.SIGKILL)  # whatever is left of the group
            self.stdout.write("已停止。")

    def run_periodic_jobs(self) -> None:
        """Each periodic job is an idempotent management command (DESIGN.md §2)."""
        for name in settings.WANGBAN_PERIODIC_COMMANDS:
            try:
                call_command(name)
            except Exception as exc:  # a failing job must not stop the server
                self.stderr.write(f"periodic job {name} failed: {exc}")
