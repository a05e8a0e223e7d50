"""Input and output of the need analysis API."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from achievements.models import Language

MAX_ANALYSED_CHARS = 5_000  # a need's description is analysed up to here (its cost grows with the length)
MAX_TITLE_CHARS = 300


class AnalyseInputSerializer(serializers.Serializer):
    title = serializers.CharField(
        max_length=MAX_TITLE_CHARS, required=False, allow_blank=True, default="", trim_whitespace=True
    )
    description = serializers.CharField(
        max_length=MAX_ANALYSED_CHARS,
        error_messages={
            "blank": _("Write the need's description to analyse it."),
            "required": _("Write the need's description to analyse it."),
            "max_length": _("The description is too long to analyse ({max_length} characters at most)."),
        },
    )
    language = serializers.ChoiceField(
        choices=Language.choices,
        required=False,
        error_messages={"invalid_choice": _("Unknown language “{input}”: use zh-hans or en.")},
    )
    budget_min = serializers.DecimalField(max_digits=12, decimal_places=2, required=False, allow_null=True, min_value=0)
    budget_max = serializers.DecimalField(max_digits=12, decimal_places=2, required=False, allow_null=True, min_value=0)
    deadline = serializers.DateField(required=False, allow_null=True)
    need = serializers.IntegerField(
        required=False, allow_null=True, help_text="An existing need this draft edits (left out of the similar needs)"
    )

    def validate(self, attrs):
        from core.text import detect_language

        text = f"{attrs.get('title', '')}\n{attrs['description']}"
        if detect_language(text) is None:
            raise serializers.ValidationError(
                {"description": [_("The text has no Chinese or English words to analyse.")]}
            )
        return attrs


class TermSerializer(serializers.Serializer):
    term = serializers.CharField()
    score = serializers.FloatField()


class FieldSuggestionSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    confidence = serializers.FloatField()


class AchievementPreviewSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    institution = serializers.CharField()
    trl = serializers.IntegerField(allow_null=True)
    score = serializers.FloatField()
    shared_terms = serializers.ListField(child=serializers.CharField())


class ExpertPreviewSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    title = serializers.CharField()
    institution = serializers.CharField()
    score = serializers.FloatField()


class PointSerializer(serializers.Serializer):
    text = serializers.CharField()
    terms = serializers.ListField(child=serializers.CharField())
    coverage = serializers.ChoiceField(
        choices=["strong", "some", "none", "unknown"], help_text="unknown: analysed by words only, no calibrated score"
    )
    best_score = serializers.FloatField(allow_null=True)
    achievements = AchievementPreviewSerializer(many=True)
    experts = ExpertPreviewSerializer(many=True)
    uncovered_advice = serializers.BooleanField(
        help_text="Nothing covers it: post it as a 揭榜挂帅 challenge or ask a broker"
    )


class HintSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()


class TrlSuggestionSerializer(serializers.Serializer):
    value = serializers.IntegerField()
    because_needs = serializers.IntegerField()


class ModeSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    needs = serializers.IntegerField()


class ModesSuggestionSerializer(serializers.Serializer):
    values = ModeSerializer(many=True)
    because_needs = serializers.IntegerField()


class BudgetSuggestionSerializer(serializers.Serializer):
    min = serializers.FloatField()
    max = serializers.FloatField()
    because_needs = serializers.IntegerField()
    because_contracts = serializers.IntegerField()


class SuggestionsSerializer(serializers.Serializer):
    similar_needs = serializers.IntegerField()
    required_trl = TrlSuggestionSerializer(allow_null=True)
    cooperation_modes = ModesSuggestionSerializer(allow_null=True)
    budget = BudgetSuggestionSerializer(allow_null=True, help_text="10k CNY")


class PreviewSerializer(serializers.Serializer):
    achievements = AchievementPreviewSerializer(many=True)
    experts = ExpertPreviewSerializer(many=True)


class AnalysisSerializer(serializers.Serializer):
    language = serializers.CharField()
    semantic = serializers.BooleanField(help_text="False while this process prepares its models: words only")
    model_version = serializers.CharField()
    terms = TermSerializer(many=True)
    field_suggestions = FieldSuggestionSerializer(many=True)
    suggestions = SuggestionsSerializer()
    points = PointSerializer(many=True)
    hints = HintSerializer(many=True)
    preview = PreviewSerializer()
