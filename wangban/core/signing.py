"""SM2 signatures with the SM3 digest (GB/T 32918.2, GB/T 32905): pure functions, no database.

The electronic seals of departments (wangban.certificates) sign with these; anyone can check
a signature with any SM2 implementation, OpenSSL 3 included (docs/seals.md has the command).

- Keys are hexadecimal strings: the private key `d` as 64 characters, the public key as the
  128 characters of x‖y (the uncompressed point without its `04` prefix).
- `sign` returns the signature as the hexadecimal of its DER encoding,
  `SEQUENCE { INTEGER r, INTEGER s }` (GB/T 35276-2017 §7.3): the form OpenSSL, GmSSL and
  the PKCS#7 containers of seal platforms read. `verify` accepts only that encoding, in its
  one canonical (DER) form, so a signature has exactly one spelling.
- What is signed is `SM3(Z ‖ data)` with `Z` computed from the signer's public key and the
  default user id `1234567812345678` (GB/T 35276-2017 §5.3; OpenSSL's default too).

`gmssl` (pure Python) does the curve arithmetic. Its traps, avoided here (LIBRARIES.md): its
default nonce comes from `random`, so the nonce is drawn with `secrets`; it has no key
generator; and it strips any leading "0"/"4" characters from a public key that starts with
"04", so the key is set on the object after construction instead of through it. The SM3
digests are computed with `cryptography` (OpenSSL), which is much faster than gmssl's.
"""

from __future__ import annotations

import base64
import re
import secrets
import textwrap
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from gmssl import sm2

CURVE = sm2.default_ecc_table
N = int(CURVE["n"], 16)
P = int(CURVE["p"], 16)
A = int(CURVE["a"], 16)
B = int(CURVE["b"], 16)
#: The default signer id of GB/T 35276-2017 (ENTL = 128 bits); OpenSSL 3 uses it too.
DEFAULT_USER_ID = b"1234567812345678"
#: SubjectPublicKeyInfo up to the point: id-ecPublicKey (1.2.840.10045.2.1) on the SM2 curve
#: (1.2.156.10197.1.301), then a 66-byte BIT STRING holding 04 ‖ x ‖ y.
_SPKI_PREFIX = bytes.fromhex("3059301306072a8648ce3d020106082a811ccf5501822d034200")

_PRIVATE_KEY = re.compile(r"^[0-9a-f]{64}$")
_PUBLIC_KEY = re.compile(r"^[0-9a-f]{128}$")


@dataclass(frozen=True)
class KeyPair:
    private_key: str  # 64 hex characters
    public_key: str  # 128 hex characters, x ‖ y


def sm3_hex(data: bytes) -> str:
    """The SM3 digest of `data` as 64 lowercase hexadecimal characters."""
    return _sm3(data).hex()


def _sm3(data: bytes) -> bytes:
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize()


def _crypt(public_key_hex: str, private_key_hex: str = "") -> sm2.CryptSM2:
    crypt = sm2.CryptSM2(private_key=private_key_hex, public_key="")
    # Set after construction: the constructor's lstrip("04") would damage a key whose x
    # coordinate happens to begin with "04".
    crypt.public_key = public_key_hex
    return crypt


def _private_scalar(private_key_hex: str) -> int:
    """d as an integer; SM2 needs 1 ≤ d ≤ n − 2, because signing divides by 1 + d."""
    if not _PRIVATE_KEY.match(private_key_hex):
        raise ValueError("an SM2 private key is 64 lowercase hexadecimal characters")
    d = int(private_key_hex, 16)
    if not 1 <= d <= N - 2:
        raise ValueError("the SM2 private key is out of range")
    return d


def check_public_key(public_key_hex: str) -> None:
    """Raise ValueError unless the key is x ‖ y of a point on the SM2 curve."""
    if not _PUBLIC_KEY.match(public_key_hex):
        raise ValueError("an SM2 public key is 128 lowercase hexadecimal characters (x ‖ y)")
    x, y = int(public_key_hex[:64], 16), int(public_key_hex[64:], 16)
    if x >= P or y >= P or (y * y - (x * x * x + A * x + B)) % P:
        raise ValueError("the SM2 public key is not a point on the curve")


def public_key_of(private_key_hex: str) -> str:
    """The public key d·G of a private key."""
    d = _private_scalar(private_key_hex)
    point: str = _crypt("")._kg(d, CURVE["g"])
    return point


def generate_keypair() -> KeyPair:
    """A fresh key pair; d is drawn uniformly from [1, n − 2] with `secrets`."""
    private_key = f"{secrets.randbelow(N - 2) + 1:064x}"
    return KeyPair(private_key=private_key, public_key=public_key_of(private_key))


def _signed_digest(public_key_hex: str, data: bytes, user_id: bytes = DEFAULT_USER_ID) -> bytes:
    """e = SM3(Z ‖ data), Z = SM3(ENTL ‖ ID ‖ a ‖ b ‖ xG ‖ yG ‖ xA ‖ yA) (GB/T 32918.2 §5.5)."""
    z = _sm3(
        (len(user_id) * 8).to_bytes(2, "big")
        + user_id
        + bytes.fromhex(CURVE["a"] + CURVE["b"] + CURVE["g"] + public_key_hex)
    )
    return _sm3(z + data)


def sign(private_key_hex: str, data: bytes, *, public_key_hex: str | None = None) -> str:
    """The SM2-with-SM3 signature of `data`, as the hexadecimal of its DER encoding.

    `public_key_hex` (which enters Z) is derived from the private key when not given; a
    caller that passes it must pass the matching one, or the signature will not verify."""
    _private_scalar(private_key_hex)
    public_key_hex = public_key_hex or public_key_of(private_key_hex)
    check_public_key(public_key_hex)
    e = _signed_digest(public_key_hex, data)
    crypt = _crypt(public_key_hex, private_key_hex)
    while True:
        # A fresh nonce from the operating system's CSPRNG, uniform in [1, n − 1]; gmssl
        # returns None for the rare nonces that give r = 0, r + k = n or s = 0: draw again.
        nonce = f"{secrets.randbelow(N - 1) + 1:064x}"
        raw = crypt.sign(e, nonce)
        if raw:
            return encode_signature(int(raw[:64], 16), int(raw[64:], 16)).hex()


def verify(public_key_hex: str, data: bytes, signature: str) -> bool:
    """True if `signature` (hexadecimal DER, as `sign` gives) is a valid SM2-with-SM3
    signature of `data` under the public key. Anything malformed is simply not valid; only
    a malformed public key (ours, not the caller's input) raises ValueError."""
    check_public_key(public_key_hex)
    try:
        r, s = decode_signature(bytes.fromhex(signature))
    except ValueError:
        return False
    if not (1 <= r < N and 1 <= s < N):
        return False
    e = _signed_digest(public_key_hex, data)
    try:
        return bool(_crypt(public_key_hex).verify(f"{r:064x}{s:064x}", e))
    except TypeError:
        # s·G + t·P is the point at infinity (gmssl cannot normalise it): not a signature.
        return False


def _der_integer(value: int) -> bytes:
    body = value.to_bytes(value.bit_length() // 8 + 1, "big")  # a leading 0 keeps it positive
    return b"\x02" + bytes([len(body)]) + body


def encode_signature(r: int, s: int) -> bytes:
    """DER `SEQUENCE { INTEGER r, INTEGER s }` (both below 2²⁵⁶: short lengths only)."""
    body = _der_integer(r) + _der_integer(s)
    return b"\x30" + bytes([len(body)]) + body


def decode_signature(der: bytes) -> tuple[int, int]:
    """(r, s) from a DER signature; ValueError unless it is exactly the canonical encoding."""
    if len(der) < 8 or der[0] != 0x30 or der[1] != len(der) - 2:
        raise ValueError("not a DER SEQUENCE of the right length")
    values: list[int] = []
    position = 2
    for _ in range(2):
        if position + 2 > len(der) or der[position] != 0x02:
            raise ValueError("not a DER INTEGER")
        length = der[position + 1]
        body = der[position + 2 : position + 2 + length]
        if not 1 <= length <= 33 or len(body) != length:
            raise ValueError("bad INTEGER length")
        values.append(int.from_bytes(body, "big"))
        position += 2 + length
    r, s = values
    # Re-encoding refuses negative numbers, superfluous leading zeros and trailing bytes.
    if encode_signature(r, s) != der:
        raise ValueError("not the canonical DER encoding")
    return r, s


def public_key_pem(public_key_hex: str) -> str:
    """The public key as a PEM SubjectPublicKeyInfo (id-ecPublicKey on the SM2 curve), which
    `openssl pkeyutl -verify -pubin -inkey` reads."""
    check_public_key(public_key_hex)
    der = _SPKI_PREFIX + b"\x04" + bytes.fromhex(public_key_hex)
    body = "\n".join(textwrap.wrap(base64.b64encode(der).decode(), 64))
    return f"-----BEGIN PUBLIC KEY-----\n{body}\n-----END PUBLIC KEY-----\n"
