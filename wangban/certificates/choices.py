"""Codes of electronic seals (电子印章): what a seal is for, and the outcomes of a check.

The values are stored and may be shown to integrators: add to them, never rename.
"""

from __future__ import annotations

from django.db import models


class SealPurpose(models.TextChoices):
    """What a department seals with a seal; a department has at most one active seal per
    purpose. The label is also the end of the seal's default name
    (示范市交通运输局 + 行政审批专用章)."""

    APPROVAL = "approval", "行政审批专用章"


class VerificationCode(models.TextChoices):
    """The outcome of checking a seal stamp (`sealing.verify_stamp`)."""

    VALID = "valid", "签章有效"
    UNKNOWN_KEY = "unknown_key", "印章不存在"
    MALFORMED_DIGEST = "malformed_digest", "文件摘要格式有误"
    MALFORMED_SIGNATURE = "malformed_signature", "签名格式有误"
    BAD_SIGNATURE = "bad_signature", "签名与文件不符"
