"""Electronic seals (电子印章) of departments.

A seal is an SM2 key pair with a name and an owner. Documents carry the seal's `key_id`, so a
document sealed years ago finds its key again after the department has rotated to a new one
(the old seal is retired, never deleted). The private key is stored only encrypted, with the
keys and the SM4-GCM scheme of personal data (`wangban.core.pii`); the public key is public.

The rules: 大安办法第二十六条 (the decision document bearing the department's electronic seal
ends the procedure), 乌海规范第十四条、第二十四条 (electronic seals and signatures).
"""

from __future__ import annotations

import secrets

from django.db import models
from django.db.models import Q
from django.utils import timezone

from wangban.accounts.models import Department
from wangban.certificates.choices import SealPurpose
from wangban.core import pii, signing


def new_key_id() -> str:
    """An opaque key id, printed on sealed documents: 20 random hexadecimal characters."""
    return secrets.token_hex(10)


class Seal(models.Model):
    """One electronic seal: a department's key pair for one purpose."""

    department = models.ForeignKey(
        Department, verbose_name="部门", on_delete=models.PROTECT, related_name="seals"
    )
    purpose = models.CharField(
        "用途", max_length=32, choices=SealPurpose.choices, default=SealPurpose.APPROVAL
    )
    key_id = models.CharField("印章编号", max_length=32, unique=True, default=new_key_id)
    name = models.CharField("印章名称", max_length=100)
    public_key = models.CharField(
        "公钥", max_length=128, help_text="SM2 公钥，x‖y 共 128 位十六进制（不含 04 前缀）"
    )
    # "sm4gcm:<pii key id>:<base64>", never the key itself (see wangban.core.pii).
    private_key_encrypted = models.TextField("私钥（加密）", editable=False)
    created_at = models.DateTimeField("启用时间", default=timezone.now)
    retired_at = models.DateTimeField("停用时间", null=True, blank=True)
    is_active = models.BooleanField("在用", default=True)

    class Meta:
        verbose_name = "电子印章"
        verbose_name_plural = "电子印章"
        ordering = ["department__code", "purpose", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["department", "purpose"],
                condition=Q(is_active=True),
                name="certificates_seal_one_active_per_purpose",
            ),
            models.CheckConstraint(
                condition=Q(is_active=True, retired_at__isnull=True)
                | Q(is_active=False, retired_at__isnull=False),
                name="certificates_seal_retired_when_inactive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.key_id}）"

    def set_private_key(self, private_key_hex: str) -> None:
        self.private_key_encrypted = pii.encrypt(private_key_hex)

    def decrypt_private_key(self) -> str:
        """The private key in clear: only for signing, never shown or logged."""
        return pii.decrypt(self.private_key_encrypted)

    @property
    def public_key_pem(self) -> str:
        """The public key as PEM, for anyone who checks a stamp with OpenSSL."""
        return signing.public_key_pem(self.public_key)
