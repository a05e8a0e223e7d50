from django.contrib import admin

from .models import District, TechnicalField, TransferMode


@admin.register(TechnicalField, District, TransferMode)
class ReferenceAdmin(admin.ModelAdmin):
    list_display = ["code", "name_zh", "name_en", "sort_order"]
    search_fields = ["code", "name_zh", "name_en"]
