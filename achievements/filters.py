import django_filters as filters

from core.api.filters import CodeChoiceFilter, CodeMultipleChoiceFilter, IntegerFilter, StrictFilterSet
from core.models import District, TechnicalField, TransferMode

from .models import Achievement, AchievementStatus, Expert, Language, MaturityStage


class AchievementFilter(StrictFilterSet):
    field = CodeMultipleChoiceFilter(
        relation="field",
        queryset=TechnicalField.objects.all(),
        help_text="Technical field code(s)",
    )
    status = filters.MultipleChoiceFilter(choices=AchievementStatus.choices)
    maturity_stage = filters.MultipleChoiceFilter(choices=MaturityStage.choices)
    trl_min = IntegerFilter(field_name="trl", lookup_expr="gte")
    trl_max = IntegerFilter(field_name="trl", lookup_expr="lte")
    institution = filters.NumberFilter(field_name="institution_id")
    district = CodeChoiceFilter(
        relation="institution__district",
        queryset=District.objects.all(),
        help_text="District code of the institution",
    )
    transfer_mode = CodeChoiceFilter(relation="transfer_modes", queryset=TransferMode.objects.all())
    language = filters.ChoiceFilter(choices=Language.choices)
    created_after = filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    published_after = filters.IsoDateTimeFilter(field_name="published_at", lookup_expr="gte")
    published_before = filters.IsoDateTimeFilter(field_name="published_at", lookup_expr="lt")
    updated_after = filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Achievement
        fields = []


class ExpertFilter(StrictFilterSet):
    institution = filters.NumberFilter(field_name="institution_id")
    field = CodeMultipleChoiceFilter(relation="field", queryset=TechnicalField.objects.all())

    class Meta:
        model = Expert
        fields = []
