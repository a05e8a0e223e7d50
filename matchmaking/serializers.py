from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from achievements.serializers import ExpertSerializer, InstitutionRefSerializer
from core.ids import MAX_ID
from core.serializers import ReferenceSerializer
from enterprises.serializers import EnterpriseRefSerializer

from .explain import render_reasons
from .models import DeclineReason, ExpertSuggestion, Match, MatchEvent, Stage


class MatchNeedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    enterprise = EnterpriseRefSerializer()
    field = ReferenceSerializer()


class MatchAchievementSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    institution = InstitutionRefSerializer()
    field = ReferenceSerializer()
    trl = serializers.IntegerField()


class ExplanationSerializer(serializers.Serializer):
    shared_terms = serializers.ListField(child=serializers.CharField())
    field_match = serializers.BooleanField()
    reasons = serializers.ListField(child=serializers.DictField())


class MatchSerializer(serializers.ModelSerializer):
    need = MatchNeedSerializer(read_only=True)
    achievement = MatchAchievementSerializer(read_only=True)
    broker = serializers.SlugRelatedField(slug_field="username", read_only=True)
    explanation = serializers.SerializerMethodField()

    class Meta:
        model = Match
        fields = [
            "id",
            "need",
            "achievement",
            "rank",
            "score",
            "components",
            "explanation",
            "algorithm_version",
            "stage",
            "broker",
            "decline_reason",
            "decline_note",
            "version",
            "created_at",
            "updated_at",
        ]

    def get_explanation(self, match) -> ExplanationSerializer:
        explanation = dict(match.explanation or {})
        explanation.setdefault("shared_terms", [])
        explanation.setdefault("field_match", False)
        explanation["reasons"] = render_reasons(explanation.get("reasons", []))
        return explanation


class MatchEventSerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = MatchEvent
        fields = ["from_stage", "to_stage", "reason", "note", "actor", "created_at"]


class MatchDetailSerializer(MatchSerializer):
    events = MatchEventSerializer(many=True, read_only=True)

    class Meta(MatchSerializer.Meta):
        fields = [*MatchSerializer.Meta.fields, "events"]


class TransitionSerializer(serializers.Serializer):
    stage = serializers.ChoiceField(choices=Stage.choices)
    reason = serializers.ChoiceField(
        choices=DeclineReason.choices, required=False, allow_blank=True, help_text=_("Required when declining")
    )
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    version = serializers.IntegerField(required=False, help_text="The version you saw; a stale one gets 409")


class ExpertSuggestionSerializer(serializers.ModelSerializer):
    expert = ExpertSerializer(read_only=True)

    class Meta:
        model = ExpertSuggestion
        fields = ["rank", "score", "components", "explanation", "expert", "algorithm_version"]


class SearchHitSerializer(serializers.Serializer):
    score = serializers.FloatField()
    components = serializers.DictField(child=serializers.FloatField())
    shared_terms = serializers.ListField(child=serializers.CharField())
    achievement = serializers.DictField()


class PreparingSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=["preparing"])
    message = serializers.CharField()


def preparing() -> dict:
    """The answer while a record's vectors and index entry are being prepared."""
    return {
        "state": "preparing",
        "message": _("This record is still being prepared for matching; try again in a minute."),
    }


class SearchResultSerializer(serializers.Serializer):
    semantic = serializers.BooleanField(help_text="False while meaning-based search is being prepared (words only).")
    results = SearchHitSerializer(many=True)


class RankedNeedSerializer(serializers.Serializer):
    need = MatchNeedSerializer()
    score = serializers.FloatField()
    components = serializers.DictField(child=serializers.FloatField())
    explanation = serializers.SerializerMethodField()

    def get_explanation(self, row) -> ExplanationSerializer:
        return {**row["explanation"], "reasons": render_reasons(row["explanation"].get("reasons", []))}


class InterestSerializer(serializers.ModelSerializer):
    author_organisation = serializers.SerializerMethodField()
    need_title = serializers.CharField(source="need.title", read_only=True, default=None)
    achievement_title = serializers.CharField(source="achievement.title", read_only=True, default=None)

    class Meta:
        from .models import Interest

        model = Interest
        fields = [
            "id",
            "on_kind",
            "need",
            "need_title",
            "achievement",
            "achievement_title",
            "match",
            "author_organisation",
            "message",
            "created_at",
            "followed_up_at",
        ]
        read_only_fields = fields

    def get_author_organisation(self, interest) -> str:
        organisation = interest.institution if interest.institution_id else interest.enterprise
        return organisation.name if organisation else ""


class NewInterestSerializer(serializers.Serializer):
    """An institution names a public `need` (and may offer one of its achievements as
    `achievement`); an enterprise names an `achievement` (and may offer one of its needs)."""

    need = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    achievement = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    message = serializers.CharField(required=False, allow_blank=True, max_length=2000)
