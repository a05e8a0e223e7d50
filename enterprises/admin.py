from django.contrib import admin

from . import services
from .models import Enterprise, TechnologyNeed


@admin.register(Enterprise)
class EnterpriseAdmin(admin.ModelAdmin):
    list_display = ["name", "credit_code", "industry", "district", "size", "is_high_tech", "is_tech_sme"]
    list_filter = ["industry", "district", "size", "is_high_tech", "is_tech_sme"]
    search_fields = ["name", "credit_code"]

    def save_model(self, request, obj, form, change):
        """Through the service, so a rename refreshes the search text of the enterprise's needs."""
        if not change:
            return super().save_model(request, obj, form, change)
        changes = {name: form.cleaned_data[name] for name in form.changed_data if name in services.ENTERPRISE_FIELDS}
        services.enterprise_update(enterprise=obj, actor=request.user, **changes)


@admin.register(TechnologyNeed)
class TechnologyNeedAdmin(admin.ModelAdmin):
    list_display = ["title", "enterprise", "field", "status", "confidentiality", "is_challenge", "deadline"]
    list_filter = ["status", "confidentiality", "is_challenge", "field"]
    search_fields = ["title", "search_document"]
    list_select_related = ["enterprise", "field"]
    filter_horizontal = ["cooperation_modes"]
    readonly_fields = ["published_at", "created_by", "created_at", "updated_at"]

    def save_model(self, request, obj, form, change):
        """Keeps the search text (title, keywords, description, enterprise) and the embedding current."""
        services.need_save(need=obj, actor=request.user)
