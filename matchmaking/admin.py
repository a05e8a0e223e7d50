from django.contrib import admin

from core.admin import PlatformAdminsOnly

from .models import Interest, Match, MatchEvent, RankingModel


class MatchEventInline(admin.TabularInline):
    model = MatchEvent
    fields = ["created_at", "actor", "from_stage", "to_stage", "reason", "note"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Match)
class MatchAdmin(PlatformAdminsOnly):
    """Matches are worked on the broker's pages; here platform admins look one up."""

    list_display = ["id", "need", "achievement", "stage", "broker", "score", "updated_at"]
    list_filter = ["stage", "algorithm_version"]
    search_fields = ["need__title", "achievement__title", "need__enterprise__name", "achievement__institution__name"]
    list_select_related = ["need", "achievement", "broker"]
    raw_id_fields = ["need", "achievement", "broker"]
    inlines = [MatchEventInline]


@admin.register(Interest)
class InterestAdmin(PlatformAdminsOnly):
    list_display = ["created_at", "author", "on_kind", "need", "achievement", "broker", "followed_up_at"]
    list_filter = ["on_kind", ("followed_up_at", admin.EmptyFieldListFilter)]
    list_select_related = ["author", "need", "achievement", "broker"]
    raw_id_fields = ["author", "need", "achievement", "match", "broker"]


@admin.register(RankingModel)
class RankingModelAdmin(PlatformAdminsOnly):
    list_display = ["version", "is_active", "created_at"]
    readonly_fields = ["version", "weights", "metrics", "is_active", "created_at"]
