"""Electronic seals in the admin: read-only. Seals are created and rotated only through
`wangban.certificates.actions` (audited), by the `create_seals` command or the centre's
pages; the private key is never shown, not even encrypted."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.utils.html import format_html

from wangban.certificates.models import Seal


@admin.register(Seal)
class SealAdmin(admin.ModelAdmin[Seal]):
    list_display = (
        "name",
        "department",
        "purpose",
        "key_id",
        "is_active",
        "created_at",
        "retired_at",
    )
    list_filter = ("is_active", "purpose", "department")
    search_fields = ("name", "key_id", "department__name", "department__code")
    list_select_related = ("department",)
    # An explicit list: the encrypted private key is not among them.
    fields = (
        "name",
        "department",
        "purpose",
        "key_id",
        "is_active",
        "created_at",
        "retired_at",
        "public_key",
        "public_key_pem_block",
    )
    readonly_fields = fields

    @admin.display(description="公钥（PEM）")
    def public_key_pem_block(self, seal: Seal) -> str:
        return format_html("<pre>{}</pre>", seal.public_key_pem)

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False
