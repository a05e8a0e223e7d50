import django_filters as filters

from core.models import District, TechnicalField, TransferMode

from .models import Confidentiality, Enterprise, EnterpriseSize, Language, NeedStatus, TechnologyNeed


class NeedFilter(filters.FilterSet):
    field = filters.ModelMultipleChoiceFilter(
        field_name="field__code", to_field_name="code", queryset=TechnicalField.objects.all()
    )
    status = filters.MultipleChoiceFilter(choices=NeedStatus.choices)
    enterprise = filters.NumberFilter(field_name="enterprise_id")
    district = filters.ModelChoiceFilter(
        field_name="enterprise__district", to_field_name="code", queryset=District.objects.all(),
        help_text="District code of the enterprise",
    )
    region = filters.ModelChoiceFilter(field_name="region", to_field_name="code", queryset=District.objects.all())
    required_trl_max = filters.NumberFilter(
        field_name="required_trl", lookup_expr="lte", help_text="Needs satisfied by an achievement of this TRL"
    )
    cooperation_mode = filters.ModelChoiceFilter(
        field_name="cooperation_modes", to_field_name="code", queryset=TransferMode.objects.all()
    )
    confidentiality = filters.ChoiceFilter(choices=Confidentiality.choices)
    is_challenge = filters.BooleanFilter()
    language = filters.ChoiceFilter(choices=Language.choices)
    deadline_after = filters.DateFilter(field_name="deadline", lookup_expr="gte")
    deadline_before = filters.DateFilter(field_name="deadline", lookup_expr="lte")
    created_after = filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    published_after = filters.IsoDateTimeFilter(field_name="published_at", lookup_expr="gte")

    class Meta:
        model = TechnologyNeed
        fields = []


class EnterpriseFilter(filters.FilterSet):
    industry = filters.ModelMultipleChoiceFilter(
        field_name="industry__code", to_field_name="code", queryset=TechnicalField.objects.all()
    )
    district = filters.ModelChoiceFilter(field_name="district", to_field_name="code", queryset=District.objects.all())
    size = filters.MultipleChoiceFilter(choices=EnterpriseSize.choices)
    is_high_tech = filters.BooleanFilter()
    is_tech_sme = filters.BooleanFilter()

    class Meta:
        model = Enterprise
        fields = []
