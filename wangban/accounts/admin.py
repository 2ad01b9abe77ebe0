from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin

from wangban.accounts.models import (
    AgentGrant,
    ApiToken,
    Department,
    Hall,
    LegalPerson,
    Person,
    RoleGrant,
    User,
    Window,
)
from wangban.accounts.verifiers import get_verifier

admin.site.register(User, UserAdmin)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("prefix", "user", "created_at", "expires_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("user__username", "prefix")
    readonly_fields = ("key_hash", "prefix", "created_at", "last_used_at")
    actions = ("revoke",)

    @admin.action(description="吊销所选令牌")
    def revoke(self, request, queryset):
        for token in queryset:
            token.revoke()

    def has_add_permission(self, request):
        return False  # tokens are issued through the API, where the raw value is shown once


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records that change only through the audited actions (and their workbench pages):
    the admin shows them and never writes them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Department)
class DepartmentAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "level", "parent", "credit_code", "entrusts_acceptance")
    list_filter = ("level", "is_service_centre", "entrusts_acceptance")
    search_fields = ("code", "name", "credit_code")


@admin.register(RoleGrant)
class RoleGrantAdmin(ReadOnlyAdmin):
    list_display = ("user", "department", "role", "granted_by", "granted_at")
    list_filter = ("role", "department")
    search_fields = ("user__username", "user__real_name")


@admin.register(Person)
class PersonAdmin(ReadOnlyAdmin):
    """Masked numbers only; the unmasked number is revealed (and audited) by the action."""

    list_display = ("real_name", "id_number_masked", "real_name_level", "verified_by")
    list_filter = ("real_name_level", "verified_by")
    search_fields = ("real_name", "user__username")
    exclude = ("id_number_encrypted", "id_number_digest")

    def changelist_view(self, request, extra_context=None):
        verifier = get_verifier()
        if verifier.is_development:
            messages.warning(request, f"当前身份核验方式：{verifier.label}")
        return super().changelist_view(request, extra_context)


@admin.register(LegalPerson)
class LegalPersonAdmin(ReadOnlyAdmin):
    list_display = ("name", "credit_code", "representative_name", "owner")
    search_fields = ("name", "credit_code")


@admin.register(AgentGrant)
class AgentGrantAdmin(ReadOnlyAdmin):
    list_display = ("legal_person", "agent", "all_items", "valid_from", "valid_to", "revoked_at")


class WindowInline(admin.TabularInline):
    model = Window
    extra = 0
    filter_horizontal = ("departments",)


@admin.register(Hall)
class HallAdmin(admin.ModelAdmin):
    """Halls and their windows are the centre's master data, kept in the admin."""

    list_display = ("name", "department", "address", "phone")
    inlines = [WindowInline]
