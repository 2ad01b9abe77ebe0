from __future__ import annotations

import pytest

from wangban.accounts import sms


@pytest.fixture(autouse=True)
def _empty_sms_outbox() -> None:
    sms.OUTBOX.clear()
