"""Reading seals: the one in use for a department and purpose, and any seal by its key id."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet

from wangban.accounts.models import Department
from wangban.certificates.choices import SealPurpose
from wangban.certificates.models import Seal


def active_seal(department: Department, purpose: str = SealPurpose.APPROVAL) -> Seal | None:
    """The seal the department signs with now for `purpose`, or None (at most one exists:
    `certificates_seal_one_active_per_purpose`)."""
    return (
        Seal.objects.select_related("department")
        .filter(department=department, purpose=purpose, is_active=True)
        .first()
    )


def seal_by_key_id(key_id: str) -> Seal | None:
    """The seal, active or retired, whose key id a sealed document carries, or None."""
    return Seal.objects.select_related("department").filter(key_id=key_id).first()


def departments_without_seal(purpose: str = SealPurpose.APPROVAL) -> QuerySet[Department]:
    """Active departments that have no active seal for `purpose`, in code order."""
    sealed = Seal.objects.filter(department=OuterRef("pk"), purpose=purpose, is_active=True)
    return Department.objects.filter(is_active=True).exclude(Exists(sealed)).order_by("code")
