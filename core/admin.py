from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import District, TaskFailure, TechnicalField, TransferMode


@admin.register(TechnicalField, District, TransferMode)
class ReferenceAdmin(admin.ModelAdmin):
    list_display = ["code", "name_zh", "name_en", "sort_order"]
    search_fields = ["code", "name_zh", "name_en"]


class PlatformAdminsOnly(admin.ModelAdmin):
    """Read-only pages for platform admins: institution members use the admin for their own
    achievements and must not open these."""

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_platform_admin

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(TaskFailure)
class TaskFailureAdmin(PlatformAdminsOnly):
    list_display = ["failed_at", "task", "task_id", "short_reason"]
    list_filter = ["task"]
    search_fields = ["task", "task_id", "reason"]
    date_hierarchy = "failed_at"

    @admin.display(description=_("reason"))
    def short_reason(self, obj):
        return obj.reason[:120]
