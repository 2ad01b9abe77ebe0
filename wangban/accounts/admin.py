from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from wangban.accounts.models import ApiToken, User

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
