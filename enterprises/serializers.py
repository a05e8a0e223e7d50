from rest_framework import serializers

from core.models import District, TechnicalField, TransferMode
from core.serializers import CodeRelatedField, ReferenceSerializer

from .models import Confidentiality, Enterprise, EnterpriseSize, Language, NeedStatus, TechnologyNeed


class EnterpriseRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Enterprise
        fields = ["id", "name"]


class EnterpriseSerializer(serializers.ModelSerializer):
    industry = ReferenceSerializer(read_only=True, allow_null=True)
    district = ReferenceSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Enterprise
        fields = [
            "id",
            "name",
            "credit_code",
            "industry",
            "district",
            "size",
            "is_high_tech",
            "is_tech_sme",
            "description",
            "website",
            "created_at",
        ]


class EnterpriseWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    credit_code = serializers.CharField(max_length=18, min_length=18, help_text="统一社会信用代码 (18 characters)")
    industry = CodeRelatedField(queryset=TechnicalField.objects.all(), required=False, allow_null=True)
    district = CodeRelatedField(queryset=District.objects.all(), required=False, allow_null=True)
    size = serializers.ChoiceField(choices=EnterpriseSize.choices, required=False)
    is_high_tech = serializers.BooleanField(required=False)
    is_tech_sme = serializers.BooleanField(required=False)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    website = serializers.URLField(required=False, allow_blank=True)


class NeedSerializer(serializers.ModelSerializer):
    enterprise = EnterpriseRefSerializer(read_only=True)
    field = ReferenceSerializer(read_only=True)
    region = ReferenceSerializer(read_only=True, allow_null=True)
    cooperation_modes = serializers.SlugRelatedField(many=True, read_only=True, slug_field="code")

    class Meta:
        model = TechnologyNeed
        fields = [
            "id",
            "enterprise",
            "title",
            "description",
            "keywords",
            "field",
            "required_trl",
            "cooperation_modes",
            "budget_min",
            "budget_max",
            "deadline",
            "region",
            "confidentiality",
            "is_challenge",
            "challenge_award",
            "challenge_closes_on",
            "language",
            "status",
            "published_at",
            "created_at",
            "updated_at",
        ]


def _money():
    return serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0, required=False, allow_null=True)


class NeedWriteSerializer(serializers.Serializer):
    enterprise = serializers.PrimaryKeyRelatedField(
        queryset=Enterprise.objects.all(),
        required=False,
        help_text="Only for platform administrators; members always write for their own enterprise.",
    )
    title = serializers.CharField(max_length=300)
    description = serializers.CharField(max_length=20_000)
    keywords = serializers.ListField(child=serializers.CharField(max_length=60), max_length=30, required=False)
    field = CodeRelatedField(queryset=TechnicalField.objects.all())
    required_trl = serializers.IntegerField(min_value=1, max_value=9, required=False, allow_null=True)
    cooperation_modes = CodeRelatedField(many=True, queryset=TransferMode.objects.all(), required=False)
    budget_min = _money()
    budget_max = _money()
    deadline = serializers.DateField(required=False, allow_null=True)
    region = CodeRelatedField(queryset=District.objects.all(), required=False, allow_null=True)
    confidentiality = serializers.ChoiceField(choices=Confidentiality.choices, required=False)
    is_challenge = serializers.BooleanField(required=False, help_text="揭榜挂帅: needs an award and a closing date")
    challenge_award = _money()
    challenge_closes_on = serializers.DateField(required=False, allow_null=True)
    language = serializers.ChoiceField(choices=Language.choices, required=False)
    status = serializers.ChoiceField(
        choices=[NeedStatus.DRAFT, NeedStatus.PUBLISHED],
        required=False,
        help_text="On creation only; later use the publish / close / archive actions.",
    )
