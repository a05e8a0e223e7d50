from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from .models import Agency, User


@admin.register(User)
class TechBridgeUserAdmin(UserAdmin):
    list_display = ["username", "email", "role", "institution", "enterprise", "agency", "is_active"]
    list_filter = ["role", "is_active", "is_staff"]
    list_select_related = ["institution", "enterprise", "agency"]
    fieldsets = UserAdmin.fieldsets + (
        (_("TechBridge role"), {"fields": ["role", "institution", "enterprise", "agency", "language", "phone"]}),
    )
    add_fieldsets = UserAdmin.add_fieldsets + (
        (_("TechBridge role"), {"fields": ["role", "institution", "enterprise", "agency", "language"]}),
    )
    autocomplete_fields = ["institution", "enterprise", "agency"]


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["name", "district", "created_at"]
    search_fields = ["name"]
