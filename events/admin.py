from django.contrib import admin

from .models import (
    FollowUpSurvey,
    MatchmakingEvent,
    Meeting,
    MeetingRequest,
    Notification,
    Programme,
    ProgrammeTheme,
    PublicHoliday,
    Registration,
    Room,
    RoomClosure,
    Venue,
)


class ThemeInline(admin.TabularInline):
    model = ProgrammeTheme
    extra = 0


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    list_display = ["name", "year", "target_events", "organiser"]
    inlines = [ThemeInline]


class RoomInline(admin.TabularInline):
    model = Room
    extra = 0


@admin.register(Venue)
class VenueAdmin(admin.ModelAdmin):
    list_display = ["name", "address", "district"]
    inlines = [RoomInline]


@admin.register(MatchmakingEvent)
class EventAdmin(admin.ModelAdmin):
    list_display = ["title", "starts_at", "room", "status", "organiser"]
    list_filter = ["status", "programme"]
    search_fields = ["title"]
    list_select_related = ["room__venue", "organiser"]


@admin.register(Registration)
class RegistrationAdmin(admin.ModelAdmin):
    list_display = ["event", "user", "side", "checked_in", "no_show"]
    list_filter = ["side", "checked_in", "no_show"]
    list_select_related = ["event", "user"]


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    list_display = ["event", "slot", "table", "holder", "enterprise", "status"]
    list_filter = ["status"]
    list_select_related = ["event", "holder__user", "enterprise__user"]


admin.site.register([RoomClosure, PublicHoliday, MeetingRequest, Notification, FollowUpSurvey])
