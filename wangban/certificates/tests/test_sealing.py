"""Sealing documents and checking stamps: recomputed from the document, unharmed by rotation,
and readable by OpenSSL from the published public key."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import time_machine

from wangban.audit.models import AuditEvent
from wangban.certificates import actions
from wangban.certificates.models import Seal
from wangban.certificates.sealing import SealIntegrityError, seal_document, verify_stamp
from wangban.conftest import City
from wangban.core import signing
from wangban.core.errors import Conflict

pytestmark = pytest.mark.django_db

DOCUMENT = "准予行政许可决定书\n申请人：某某运输有限公司\n".encode()


def test_a_sealed_document_verifies(city: City) -> None:
    seal = actions.do_create_seal(city.transport, actor=city.centre_admin)
    with time_machine.travel("2026-10-22 15:00 +0800", tick=False):
        stamp = seal_document(city.transport, DOCUMENT)

    assert stamp.key_id == seal.key_id
    assert stamp.digest == signing.sm3_hex(DOCUMENT)
    assert stamp.sealed_at.isoformat() == "2026-10-22T07:00:00+00:00"
    assert signing.verify(seal.public_key, bytes.fromhex(stamp.digest), stamp.signature)

    result = verify_stamp(stamp.key_id, DOCUMENT, stamp.signature)
    assert result.valid is True
    assert result.code == "valid"
    assert result.reason == "签章有效：文件自加盖电子印章以来未被改动。"
    assert result.seal_name == "市交通运输局行政审批专用章"
    assert result.department == "市交通运输局"
    assert result.department_code == "D01"
    assert result.seal_active is True
    assert result.digest == stamp.digest

    by_digest = verify_stamp(stamp.key_id, stamp.digest.upper(), stamp.signature)
    assert by_digest.valid is True


def test_sealing_writes_nothing(city: City) -> None:
    actions.do_create_seal(city.transport, actor=city.centre_admin)
    events = AuditEvent.objects.count()
    seal_document(city.transport, DOCUMENT)
    assert AuditEvent.objects.count() == events
    assert Seal.objects.count() == 1


def test_a_tampered_document_fails(city: City) -> None:
    actions.do_create_seal(city.transport, actor=city.centre_admin)
    stamp = seal_document(city.transport, DOCUMENT)

    result = verify_stamp(
        stamp.key_id, DOCUMENT.replace("准予".encode(), "不予".encode()), stamp.signature
    )

    assert result.valid is False
    assert result.code == "bad_signature"
    assert result.reason == "签章无效：签名与文件不符，文件可能已被改动，或签名并非该印章所加盖。"
    assert result.seal_name == "市交通运输局行政审批专用章"


def test_a_tampered_signature_fails(city: City) -> None:
    actions.do_create_seal(city.transport, actor=city.centre_admin)
    stamp = seal_document(city.transport, DOCUMENT)
    r, s = signing.decode_signature(bytes.fromhex(stamp.signature))
    forged = signing.encode_signature(r, s ^ 1).hex()

    assert verify_stamp(stamp.key_id, DOCUMENT, forged).code == "bad_signature"


def test_a_stamp_of_another_department_fails(city: City) -> None:
    actions.do_create_seal(city.transport, actor=city.centre_admin)
    market_seal = actions.do_create_seal(city.market, actor=city.centre_admin)
    stamp = seal_document(city.transport, DOCUMENT)

    result = verify_stamp(market_seal.key_id, DOCUMENT, stamp.signature)

    assert result.valid is False
    assert result.code == "bad_signature"
    assert result.department == "市市场监督管理局"


@pytest.mark.parametrize(
    ("key_id", "digest", "signature", "code", "reason"),
    [
        ("", None, None, "unknown_key", "未找到该印章：印章编号不存在。"),
        ("0" * 20, None, None, "unknown_key", "未找到该印章：印章编号不存在。"),
        ("x" * 500, None, None, "unknown_key", "未找到该印章：印章编号不存在。"),
        (
            None,
            "abc",
            None,
            "malformed_digest",
            "文件摘要格式有误：应为 64 位十六进制的 SM3 摘要。",
        ),
        (
            None,
            "g" * 64,
            None,
            "malformed_digest",
            "文件摘要格式有误：应为 64 位十六进制的 SM3 摘要。",
        ),
        (None, None, "", "malformed_signature", "签名格式有误：应为十六进制的 DER 编码 SM2 签名。"),
        (
            None,
            None,
            "not hex",
            "malformed_signature",
            "签名格式有误：应为十六进制的 DER 编码 SM2 签名。",
        ),
        (
            None,
            None,
            "3006020101020101ff",
            "malformed_signature",
            "签名格式有误：应为十六进制的 DER 编码 SM2 签名。",
        ),
    ],
)
def test_malformed_input_gives_a_reason_not_an_error(
    city: City,
    key_id: str | None,
    digest: str | None,
    signature: str | None,
    code: str,
    reason: str,
) -> None:
    actions.do_create_seal(city.transport, actor=city.centre_admin)
    stamp = seal_document(city.transport, DOCUMENT)

    result = verify_stamp(
        stamp.key_id if key_id is None else key_id,
        stamp.digest if digest is None else digest,
        stamp.signature if signature is None else signature,
    )

    assert result.valid is False
    assert (result.code, result.reason) == (code, reason)


def test_a_department_without_a_seal_cannot_seal(city: City) -> None:
    with pytest.raises(Conflict) as refused:
        seal_document(city.market, DOCUMENT)
    assert refused.value.code == "no_active_seal"
    assert refused.value.status == 409
    assert refused.value.message == "市市场监督管理局尚无在用的行政审批专用章，无法加盖电子印章。"


def test_old_documents_verify_after_rotation_and_new_ones_use_the_new_key(city: City) -> None:
    with time_machine.travel("2026-03-02 09:00 +0800", tick=False):
        old_seal = actions.do_create_seal(city.transport, actor=city.centre_admin)
        old_stamp = seal_document(city.transport, DOCUMENT)
    with time_machine.travel("2026-09-01 10:30 +0800", tick=False):
        new_seal = actions.do_rotate_seal(city.transport, actor=city.centre_admin)
    new_document = DOCUMENT + "（轮换之后）".encode()
    new_stamp = seal_document(city.transport, new_document)

    assert old_stamp.key_id == old_seal.key_id
    assert new_stamp.key_id == new_seal.key_id
    assert new_stamp.key_id != old_stamp.key_id

    old_result = verify_stamp(old_stamp.key_id, DOCUMENT, old_stamp.signature)
    assert old_result.valid is True
    assert old_result.seal_active is False
    assert old_result.seal_retired_at is not None
    assert old_result.reason == (
        "签章有效：文件自加盖电子印章以来未被改动。"
        "该印章已于 2026-09-01 停用，停用前加盖的文件仍然有效。"
    )
    new_result = verify_stamp(new_stamp.key_id, new_document, new_stamp.signature)
    assert new_result.valid is True
    assert new_result.seal_active is True
    # Each stamp belongs to its own key only.
    assert verify_stamp(new_stamp.key_id, DOCUMENT, old_stamp.signature).valid is False
    assert verify_stamp(old_stamp.key_id, new_document, new_stamp.signature).valid is False


def test_a_private_key_that_does_not_match_seals_nothing(city: City) -> None:
    transport = actions.do_create_seal(city.transport, actor=city.centre_admin)
    market = actions.do_create_seal(city.market, actor=city.centre_admin)
    # A damaged or swapped row: the transport seal now holds the market's private key.
    Seal.objects.filter(pk=transport.pk).update(private_key_encrypted=market.private_key_encrypted)

    with pytest.raises(SealIntegrityError, match=transport.key_id):
        seal_document(city.transport, DOCUMENT)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl")
def test_openssl_checks_a_stamp_from_the_document_and_the_public_key(
    city: City, tmp_path: Path
) -> None:
    """The check of docs/seals.md, step by step, with nothing but OpenSSL."""
    seal = actions.do_create_seal(city.transport, actor=city.centre_admin)
    stamp = seal_document(city.transport, DOCUMENT)
    (tmp_path / "decision.pdf").write_bytes(DOCUMENT)
    (tmp_path / "seal.pem").write_text(seal.public_key_pem)
    (tmp_path / "signature.der").write_bytes(bytes.fromhex(stamp.signature))

    def run(*arguments: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["openssl", *arguments], cwd=tmp_path, capture_output=True, text=True, check=False
        )

    digest = run("dgst", "-sm3", "-r", "decision.pdf").stdout.split()[0]
    assert digest == stamp.digest
    (tmp_path / "digest.bin").write_bytes(bytes.fromhex(digest))
    checked = run(
        "pkeyutl", "-verify", "-pubin", "-inkey", "seal.pem", "-rawin", "-digest", "sm3",
        "-pkeyopt", "distid:1234567812345678", "-in", "digest.bin", "-sigfile", "signature.der",
    )  # fmt: skip
    assert checked.returncode == 0
    assert "Signature Verified Successfully" in checked.stdout
