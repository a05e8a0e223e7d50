from django.contrib import admin

from core.models import AuditEntry

from .models import Bid, Challenge, ProgrammeTarget, TechnologyContract, UseFirstLicence


@admin.register(Challenge)
class ChallengeAdmin(admin.ModelAdmin):
    list_display = ["need", "stage", "award", "closes_on", "submitted_at"]
    list_filter = ["stage"]
    readonly_fields = [f.name for f in Challenge._meta.fields]  # changes go through the workflow


@admin.register(Bid)
class BidAdmin(admin.ModelAdmin):
    list_display = ["team_name", "institution", "challenge", "status", "budget"]
    list_filter = ["status"]
    readonly_fields = [f.name for f in Bid._meta.fields]


@admin.register(TechnologyContract)
class ContractAdmin(admin.ModelAdmin):
    list_display = ["title", "contract_type", "amount", "signed_on", "institution", "enterprise"]
    list_filter = ["contract_type", "field", "district"]
    search_fields = ["title", "registration_number"]
    readonly_fields = [f.name for f in TechnologyContract._meta.fields]


@admin.register(UseFirstLicence)
class LicenceAdmin(admin.ModelAdmin):
    list_display = ["contract", "free_use_until", "status"]
    list_filter = ["status"]
    readonly_fields = [f.name for f in UseFirstLicence._meta.fields]


@admin.register(ProgrammeTarget)
class TargetAdmin(admin.ModelAdmin):
    list_display = ["year", "events_held", "achievements_collected", "achievements_matched", "contract_value"]


@admin.register(AuditEntry)
class AuditAdmin(admin.ModelAdmin):
    list_display = ["created_at", "actor", "action", "object_type", "object_id"]
    list_filter = ["action", "object_type"]
    readonly_fields = [f.name for f in AuditEntry._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
