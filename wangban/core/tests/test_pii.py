from __future__ import annotations

import pytest
from cryptography.exceptions import InvalidTag

from wangban.core import pii


@pytest.fixture(autouse=True)
def _fresh_keys():
    pii._keys.cache_clear()
    pii._digest_key.cache_clear()
    yield
    pii._keys.cache_clear()
    pii._digest_key.cache_clear()


def test_round_trip_with_the_current_key() -> None:
    token = pii.encrypt("11010519491231002X")
    assert token.startswith("sm4gcm:k2:")
    assert "11010519491231002X" not in token
    assert pii.decrypt(token) == "11010519491231002X"


def test_each_encryption_uses_a_fresh_nonce() -> None:
    assert pii.encrypt("same") != pii.encrypt("same")


def test_rotation_keeps_old_ciphertexts_readable(settings) -> None:
    old = pii.encrypt("11010519491231002X")
    settings.WANGBAN_PII_KEYS = "k3:YWJjZGVmZ2hpamtsbW5vcA==," + settings.WANGBAN_PII_KEYS
    pii._keys.cache_clear()
    assert pii.encrypt("x").startswith("sm4gcm:k3:")
    assert pii.decrypt(old) == "11010519491231002X"


def test_tampering_is_detected() -> None:
    token = pii.encrypt("11010519491231002X")
    scheme, key_id, body = token.split(":", 2)
    flipped = body[:10] + ("A" if body[10] != "A" else "B") + body[11:]
    with pytest.raises(InvalidTag):
        pii.decrypt(f"{scheme}:{key_id}:{flipped}")


def test_digest_is_keyed_stable_and_normalised(settings) -> None:
    first = pii.digest("11010519491231002x")
    assert first == pii.digest(" 11010519491231002X ")
    assert len(first) == 64
    settings.WANGBAN_PII_DIGEST_KEY = "b3RoZXItZGlnZXN0LWtleQ=="
    pii._digest_key.cache_clear()
    assert pii.digest("11010519491231002X") != first


def test_a_key_of_the_wrong_length_is_refused(settings) -> None:
    from django.core.exceptions import ImproperlyConfigured

    settings.WANGBAN_PII_KEYS = "k1:c2hvcnQ="
    with pytest.raises(ImproperlyConfigured):
        pii.encrypt("x")
