from datetime import timedelta

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from core.api.fields import VisiblePrimaryKeyField
from core.models import TechnicalField
from core.serializers import CodeRelatedField, ReferenceSerializer

from .models import (
    MatchmakingEvent,
    Meeting,
    MeetingRequest,
    Outcome,
    Programme,
    PublicHoliday,
    Registration,
    Room,
    Venue,
)
from .selectors import registrations_visible_to


class ThemeSerializer(serializers.Serializer):
    field = CodeRelatedField(queryset=TechnicalField.objects.all())
    wanted_events = serializers.IntegerField(min_value=1, max_value=1000)
    expected_attendance = serializers.IntegerField(min_value=1, max_value=10_000, default=60)


class ProgrammeSerializer(serializers.ModelSerializer):
    themes = ThemeSerializer(many=True)
    organiser = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Programme
        fields = [
            "id",
            "name",
            "year",
            "target_events",
            "organiser",
            "daily_cap",
            "organiser_daily_cap",
            "theme_spacing_days",
            "themes",
            "created_at",
        ]
        read_only_fields = ["id", "organiser", "created_at"]


class RoomSerializer(serializers.ModelSerializer):
    closed_dates = serializers.ListField(
        child=serializers.DateField(), required=False, write_only=True, help_text="Days the room cannot be used"
    )

    class Meta:
        model = Room
        fields = ["id", "venue", "name", "capacity", "tables", "closed_dates"]
        extra_kwargs = {"tables": {"max_value": 1_000}, "capacity": {"max_value": 100_000}}


class VenueSerializer(serializers.ModelSerializer):
    rooms = RoomSerializer(many=True, read_only=True)

    class Meta:
        model = Venue
        fields = ["id", "name", "address", "district", "rooms"]


class HolidaySerializer(serializers.ModelSerializer):
    class Meta:
        model = PublicHoliday
        fields = ["id", "date", "name"]


class EventSerializer(serializers.ModelSerializer):
    fields = ReferenceSerializer(many=True, read_only=True)
    field_codes = CodeRelatedField(
        many=True, queryset=TechnicalField.objects.all(), write_only=True, required=False, source="fields"
    )
    room = serializers.PrimaryKeyRelatedField(queryset=Room.objects.all(), required=False, allow_null=True)
    organiser = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = MatchmakingEvent
        fields = [
            "id",
            "programme",
            "title",
            "fields",
            "field_codes",
            "room",
            "online",
            "starts_at",
            "ends_at",
            "meeting_minutes",
            "breaks",
            "capacity",
            "tables",
            "organiser",
            "registration_deadline",
            "status",
        ]
        read_only_fields = ["id", "organiser"]
        # plausible bounds: the slots are computed from these, so a 1,500-year event with
        # 18 billion tables tied up a server thread on every later request for it
        extra_kwargs = {
            "meeting_minutes": {"max_value": 240},
            "capacity": {"max_value": 100_000},
            "tables": {"max_value": 1_000},
        }

    MAX_DAYS = 7

    def validate(self, attrs):
        errors = {}
        for name in ("starts_at", "ends_at", "registration_deadline"):
            value = attrs.get(name)
            if value is not None and not 2000 <= value.year <= 2100:
                errors[name] = [_("Give a date between 2000 and 2100.")]
        starts = attrs.get("starts_at", getattr(self.instance, "starts_at", None))
        ends = attrs.get("ends_at", getattr(self.instance, "ends_at", None))
        if not errors and starts and ends and ends - starts > timedelta(days=self.MAX_DAYS):
            errors["ends_at"] = [_("An event lasts at most %(days)d days.") % {"days": self.MAX_DAYS}]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class RegistrationSerializer(serializers.ModelSerializer):
    user = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Registration
        fields = [
            "id",
            "event",
            "user",
            "side",
            "availability",
            "max_meetings",
            "attendance_confirmed",
            "checked_in",
            "no_show",
        ]
        read_only_fields = fields


class RegistrationRefSerializer(serializers.Serializer):
    registration = serializers.IntegerField()


class RegisterSerializer(serializers.Serializer):
    availability = serializers.ListField(
        child=serializers.ListField(child=serializers.CharField(max_length=5), min_length=2, max_length=2),
        required=False,
        default=list,
        max_length=10,
    )
    max_meetings = serializers.IntegerField(min_value=1, max_value=30, default=6)
    achievements = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, default=list, max_length=20
    )
    needs = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, default=list, max_length=20
    )


class MeetingRequestSerializer(serializers.ModelSerializer):
    class Meta:
        model = MeetingRequest
        fields = ["id", "event", "sender", "receiver", "message", "status", "recommended_by", "created_at"]
        read_only_fields = ["id", "event", "sender", "status", "recommended_by", "created_at"]


class NewRequestSerializer(serializers.Serializer):
    # registrations the user may not see (of events it has not joined) answer as missing
    receiver = VisiblePrimaryKeyField(queryset=Registration.objects.all(), visible=registrations_visible_to)
    sender = VisiblePrimaryKeyField(
        queryset=Registration.objects.all(),
        visible=registrations_visible_to,
        required=False,
        help_text="Brokers recommending a pair name both people",
    )
    message = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class MeetingSerializer(serializers.ModelSerializer):
    holder = serializers.CharField(source="holder.user.username")
    enterprise = serializers.CharField(source="enterprise.user.username")

    class Meta:
        model = Meeting
        fields = [
            "id",
            "holder",
            "enterprise",
            "slot",
            "starts_at",
            "table",
            "status",
            "value",
            "holder_rating",
            "enterprise_rating",
            "holder_outcome",
            "enterprise_outcome",
        ]


class ScheduleSummarySerializer(serializers.Serializer):
    meetings = serializers.IntegerField()
    objective = serializers.FloatField()
    bound = serializers.FloatField()
    gap = serializers.FloatField()
    optimal = serializers.BooleanField()
    moved = serializers.IntegerField()
    seconds = serializers.FloatField()


class InviteSuggestionSerializer(serializers.Serializer):
    user = serializers.CharField()
    organisation = serializers.CharField()
    side = serializers.CharField()
    score = serializers.FloatField()
    need = serializers.CharField()
    achievement = serializers.CharField()


class SurveyAnswerSerializer(serializers.Serializer):
    contract_signed = serializers.BooleanField()
    still_in_contact = serializers.BooleanField()
    comments = serializers.CharField(max_length=5000, required=False, allow_blank=True)


class RatingSerializer(serializers.Serializer):
    rating = serializers.IntegerField(min_value=1, max_value=5)
    outcome = serializers.ChoiceField(choices=Outcome.choices)
