"""Identity verification is a gateway plugin (DESIGN.md §4): a small interface, a registry,
and an implementation chosen by the `WANGBAN_IDENTITY_VERIFIER` setting.

Only the local development verifier ships now. It works offline, accepts every identity
number whose checksum is valid, and says loudly that it verified nothing real.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import ClassVar, Protocol

from django.conf import settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Verification:
    ok: bool
    reason: str = ""


class IdentityVerifier(Protocol):
    code: ClassVar[str]
    label: ClassVar[str]
    is_development: ClassVar[bool]

    def verify(self, real_name: str, id_number: str) -> Verification: ...

    def health(self) -> tuple[bool, str]: ...


class LocalVerifier:
    """Development verifier: no real check. Names ending in 冒用 are refused, so that the
    refusal path can be exercised offline."""

    code: ClassVar[str] = "local"
    label: ClassVar[str] = "本地开发核验（未连接公安身份核验服务，不作真实核验）"
    is_development: ClassVar[bool] = True

    def verify(self, real_name: str, id_number: str) -> Verification:
        logger.warning("identity verified by the LOCAL DEVELOPMENT verifier: nothing was checked")
        if real_name.endswith("冒用"):
            return Verification(False, "姓名与身份证号码不一致。")
        return Verification(True)

    def health(self) -> tuple[bool, str]:
        return True, "本地开发核验器：始终可用，不作真实核验"


VERIFIERS: dict[str, type[IdentityVerifier]] = {LocalVerifier.code: LocalVerifier}


def get_verifier() -> IdentityVerifier:
    code = getattr(settings, "WANGBAN_IDENTITY_VERIFIER", "local")
    return VERIFIERS[code]()
