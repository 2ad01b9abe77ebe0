"""Fixtures of the notify tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from wangban.notify.tests.helpers import Receiver, serve


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A department's webhook receiver on 127.0.0.1 (a real HTTP server in a thread)."""
    receiver = Receiver()
    server = serve(receiver)
    yield receiver
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def exact_retries(settings: Any) -> None:
    """No jitter, so that retry times can be asserted exactly (the jitter has its own test)."""
    settings.WANGBAN_NOTIFY_RETRY_JITTER = 0
