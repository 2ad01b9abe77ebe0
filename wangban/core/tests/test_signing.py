"""SM2 with SM3 (wangban.core.signing): round trips, tampering, the encodings, and agreement
with an independent implementation (OpenSSL 3, both ways)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from gmssl import sm2

from wangban.core import signing

# d = 11 gives a public key whose x coordinate begins with "04": gmssl's constructor would
# strip those characters (LIBRARIES.md); the module must not let it.
KEY_04_PRIVATE = f"{11:064x}"
KEY_04_PUBLIC = (
    "04b3cb10c9c6d8e27c1aab770f67f543125dcdd589c2ff82668c74d78ce20ace63"
    "516355287e39fe4918e5c02e2b0b930c94816e63c4bc72739a8fd805174a4b"
)


@pytest.fixture(scope="module")
def keys() -> signing.KeyPair:
    return signing.generate_keypair()


def openssl_speaks_sm2() -> bool:
    if shutil.which("openssl") is None:
        return False
    listed = subprocess.run(
        ["openssl", "list", "-public-key-algorithms"], capture_output=True, text=True, check=False
    )
    return "SM2" in listed.stdout


needs_openssl = pytest.mark.skipif(not openssl_speaks_sm2(), reason="openssl without SM2")


def test_sm3_of_the_standard_example() -> None:
    # GB/T 32905-2016 Appendix A.1: SM3("abc").
    assert signing.sm3_hex(b"abc") == (
        "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    )


def test_generated_keys_have_the_documented_shape(keys: signing.KeyPair) -> None:
    assert len(keys.private_key) == 64
    assert len(keys.public_key) == 128
    assert signing.public_key_of(keys.private_key) == keys.public_key
    signing.check_public_key(keys.public_key)
    assert signing.generate_keypair().private_key != keys.private_key


def test_public_key_of_a_known_private_key() -> None:
    # 1·G is the generator itself.
    assert signing.public_key_of(f"{1:064x}") == sm2.default_ecc_table["g"]
    assert signing.public_key_of(KEY_04_PRIVATE) == KEY_04_PUBLIC


def test_sign_and_verify_round_trip(keys: signing.KeyPair) -> None:
    signature = signing.sign(keys.private_key, "准予行政许可决定书".encode())
    assert signing.verify(keys.public_key, "准予行政许可决定书".encode(), signature) is True


def test_each_signature_uses_a_fresh_nonce(keys: signing.KeyPair) -> None:
    first = signing.sign(keys.private_key, b"same", public_key_hex=keys.public_key)
    second = signing.sign(keys.private_key, b"same", public_key_hex=keys.public_key)
    assert first != second
    assert signing.verify(keys.public_key, b"same", first)
    assert signing.verify(keys.public_key, b"same", second)


def test_the_signature_is_der(keys: signing.KeyPair) -> None:
    signature = bytes.fromhex(signing.sign(keys.private_key, b"data"))
    assert signature[0] == 0x30
    assert signature[1] == len(signature) - 2
    r, s = signing.decode_signature(signature)
    assert 1 <= r < signing.N
    assert 1 <= s < signing.N
    assert signing.encode_signature(r, s) == signature


def test_a_tampered_document_fails(keys: signing.KeyPair) -> None:
    signature = signing.sign(keys.private_key, b"decision: approved")
    assert signing.verify(keys.public_key, b"decision: denied", signature) is False
    assert signing.verify(keys.public_key, b"decision: approved ", signature) is False


def test_a_tampered_signature_fails(keys: signing.KeyPair) -> None:
    signature = signing.sign(keys.private_key, b"data")
    r, s = signing.decode_signature(bytes.fromhex(signature))
    for other in (
        signing.encode_signature(r, (s + 1) % signing.N),
        signing.encode_signature((r + 1) % signing.N, s),
        signing.encode_signature(s, r),
    ):
        assert signing.verify(keys.public_key, b"data", other.hex()) is False


def test_another_key_does_not_verify(keys: signing.KeyPair) -> None:
    signature = signing.sign(keys.private_key, b"data")
    other = signing.generate_keypair()
    assert signing.verify(other.public_key, b"data", signature) is False


@pytest.mark.parametrize(
    "signature",
    [
        "",
        "zz",
        "30",
        "3006020101020101ff",  # a trailing byte
        "3007020101020101",  # wrong outer length
        "300702020001020101",  # superfluous leading zero in r
        "3006020180020101",  # r negative
        "3006020100020101",  # r = 0
        "3006020101020100",  # s = 0
    ],
)
def test_malformed_signatures_are_not_valid(keys: signing.KeyPair, signature: str) -> None:
    assert signing.verify(keys.public_key, b"data", signature) is False


def test_out_of_range_values_are_not_valid(keys: signing.KeyPair) -> None:
    signature = signing.sign(keys.private_key, b"data")
    r, s = signing.decode_signature(bytes.fromhex(signature))
    # r + n is another spelling of r modulo n: it must be refused, not reduced.
    assert (
        signing.verify(keys.public_key, b"data", signing.encode_signature(r + signing.N, s).hex())
        is False
    )
    assert (
        signing.verify(keys.public_key, b"data", signing.encode_signature(r, s + signing.N).hex())
        is False
    )


def test_a_public_key_beginning_with_04_works() -> None:
    signature = signing.sign(KEY_04_PRIVATE, b"data", public_key_hex=KEY_04_PUBLIC)
    assert signing.verify(KEY_04_PUBLIC, b"data", signature) is True
    # What gmssl's constructor would have done to it:
    assert len(sm2.CryptSM2(private_key=KEY_04_PRIVATE, public_key=KEY_04_PUBLIC).public_key) == 126


@pytest.mark.parametrize(
    "public_key",
    [
        "",
        "04" + "00" * 64,  # 130 characters: the 04 prefix is not taken
        "AB" * 64,  # upper case
        "00" * 64,  # not on the curve
        sm2.default_ecc_table["g"][:64] + f"{int(sm2.default_ecc_table['g'][64:], 16) + 1:064x}",
    ],
)
def test_malformed_public_keys_raise(public_key: str) -> None:
    with pytest.raises(ValueError, match="SM2 public key"):
        signing.verify(public_key, b"data", "3006020101020101")


@pytest.mark.parametrize("private_key", ["", "00" * 32, f"{signing.N - 1:064x}", "g" * 64])
def test_private_keys_out_of_range_are_refused(private_key: str) -> None:
    with pytest.raises(ValueError, match="SM2 private key"):
        signing.sign(private_key, b"data")


def test_the_pem_is_the_subject_public_key_info(keys: signing.KeyPair) -> None:
    pem = signing.public_key_pem(keys.public_key)
    assert pem.startswith("-----BEGIN PUBLIC KEY-----\n")
    assert pem.endswith("\n-----END PUBLIC KEY-----\n")
    assert all(len(line) <= 64 for line in pem.splitlines())


def openssl(*arguments: str | Path, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        ["openssl", *map(str, arguments)], input=stdin, capture_output=True, check=False
    )


def openssl_verify(directory: Path, public_key: str, data: bytes, signature: str) -> bool:
    (directory / "key.pem").write_text(signing.public_key_pem(public_key))
    (directory / "data.bin").write_bytes(data)
    (directory / "signature.der").write_bytes(bytes.fromhex(signature))
    done = openssl(
        "pkeyutl", "-verify", "-pubin", "-inkey", directory / "key.pem",
        "-rawin", "-digest", "sm3", "-pkeyopt", "distid:1234567812345678",
        "-in", directory / "data.bin", "-sigfile", directory / "signature.der",
    )  # fmt: skip
    return done.returncode == 0 and b"Verified Successfully" in done.stdout


@needs_openssl
def test_openssl_reads_our_public_key(tmp_path: Path, keys: signing.KeyPair) -> None:
    (tmp_path / "key.pem").write_text(signing.public_key_pem(keys.public_key))
    done = openssl("pkey", "-pubin", "-in", tmp_path / "key.pem", "-outform", "DER")
    assert done.returncode == 0
    assert done.stdout[-65:] == b"\x04" + bytes.fromhex(keys.public_key)


@needs_openssl
@pytest.mark.parametrize("private_key", [None, KEY_04_PRIVATE])
def test_openssl_verifies_our_signatures(tmp_path: Path, private_key: str | None) -> None:
    pair = (
        signing.generate_keypair()
        if private_key is None
        else signing.KeyPair(KEY_04_PRIVATE, KEY_04_PUBLIC)
    )
    data = bytes.fromhex(signing.sm3_hex("行政许可决定书".encode()))
    signature = signing.sign(pair.private_key, data)
    assert openssl_verify(tmp_path, pair.public_key, data, signature) is True
    # and refuses what it should: the check can fail.
    assert openssl_verify(tmp_path, pair.public_key, data[:-1] + b"\x00", signature) is False


@needs_openssl
def test_we_verify_signatures_made_by_openssl(tmp_path: Path) -> None:
    key = tmp_path / "private.pem"
    assert openssl("genpkey", "-algorithm", "SM2", "-out", key).returncode == 0
    public_der = openssl("pkey", "-in", key, "-pubout", "-outform", "DER").stdout
    public_key = public_der[-64:].hex()
    (tmp_path / "data.bin").write_bytes(b"sealed by OpenSSL")
    done = openssl(
        "pkeyutl", "-sign", "-inkey", key, "-rawin", "-digest", "sm3",
        "-pkeyopt", "distid:1234567812345678",
        "-in", tmp_path / "data.bin", "-out", tmp_path / "signature.der",
    )  # fmt: skip
    assert done.returncode == 0
    signature = (tmp_path / "signature.der").read_bytes().hex()
    assert signing.verify(public_key, b"sealed by OpenSSL", signature) is True
    assert signing.verify(public_key, b"sealed by OpenSSL!", signature) is False
