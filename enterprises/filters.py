import django_filters as filters

from core.api.filters import (
    CodeChoiceFilter,
    CodeMultipleChoiceFilter,
    IntegerFilter,
    StrictBooleanFilter,
    StrictFilterSet,
)
from core.models import District, TechnicalField, TransferMode

from .models import Confidentiality, Enterprise, EnterpriseSize, Language, NeedStatus, TechnologyNeed


class NeedFilter(StrictFilterSet):
    field = CodeMultipleChoiceFilter(relation="field", queryset=TechnicalField.objects.all())
    status = filters.MultipleChoiceFilter(choices=NeedStatus.choices)
    enterprise = filters.NumberFilter(field_name="enterprise_id")
    district = CodeChoiceFilter(
        relation="enterprise__district",
        queryset=District.objects.all(),
        help_text="District code of the enterprise",
    )
    region = CodeChoiceFilter(relation="region", queryset=District.objects.all())
    required_trl_max = IntegerFilter(
        field_name="required_trl", lookup_expr="lte", help_text="Needs satisfied by an achievement of this TRL"
    )
    cooperation_mode = CodeChoiceFilter(relation="cooperation_modes", queryset=TransferMode.objects.all())
    confidentiality = filters.ChoiceFilter(choices=Confidentiality.choices)
    is_challenge = StrictBooleanFilter()
    language = filters.ChoiceFilter(choices=Language.choices)
    deadline_after = filters.DateFilter(field_name="deadline", lookup_expr="gte")
    deadline_before = filters.DateFilter(field_name="deadline", lookup_expr="lte")
    created_after = filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    published_after = filters.IsoDateTimeFilter(field_name="published_at", lookup_expr="gte")

    class Meta:
        model = TechnologyNeed
        fields = []


class EnterpriseFilter(StrictFilterSet):
    industry = CodeMultipleChoiceFilter(relation="industry", queryset=TechnicalField.objects.all())
    district = CodeChoiceFilter(relation="district", queryset=District.objects.all())
    size = filters.MultipleChoiceFilter(choices=EnterpriseSize.choices)
    is_high_tech = StrictBooleanFilter()
    is_tech_sme = StrictBooleanFilter()

    class Meta:
        model = Enterprise
        fields = []
