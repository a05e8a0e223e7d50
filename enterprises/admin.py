from django.contrib import admin

from .models import Enterprise, TechnologyNeed


@admin.register(Enterprise)
class EnterpriseAdmin(admin.ModelAdmin):
    list_display = ["name", "credit_code", "industry", "district", "size", "is_high_tech", "is_tech_sme"]
    list_filter = ["industry", "district", "size", "is_high_tech", "is_tech_sme"]
    search_fields = ["name", "credit_code"]


@admin.register(TechnologyNeed)
class TechnologyNeedAdmin(admin.ModelAdmin):
    list_display = ["title", "enterprise", "field", "status", "confidentiality", "is_challenge", "deadline"]
    list_filter = ["status", "confidentiality", "is_challenge", "field"]
    search_fields = ["title", "search_document"]
    list_select_related = ["enterprise", "field"]
    filter_horizontal = ["cooperation_modes"]
    readonly_fields = ["published_at", "created_by", "created_at", "updated_at"]
