from rest_framework import serializers

from core.models import District, TechnicalField, TransferMode
from core.serializers import CodeRelatedField, ReferenceSerializer

from .models import Achievement, AchievementStatus, Expert, Institution, Language, MaturityStage, PatentStatus


class InstitutionRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Institution
        fields = ["id", "name"]


class InstitutionSerializer(serializers.ModelSerializer):
    district = ReferenceSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Institution
        fields = ["id", "name", "short_name", "kind", "district", "website", "description", "created_at"]


class InstitutionWriteSerializer(serializers.ModelSerializer):
    district = CodeRelatedField(queryset=District.objects.all(), required=False, allow_null=True)

    class Meta:
        model = Institution
        fields = ["name", "short_name", "kind", "district", "website", "description"]


class PatentSerializer(serializers.Serializer):
    number = serializers.CharField(max_length=40)
    status = serializers.ChoiceField(choices=PatentStatus.choices)


class AchievementSerializer(serializers.ModelSerializer):
    institution = InstitutionRefSerializer(read_only=True)
    field = ReferenceSerializer(read_only=True)
    transfer_modes = serializers.SlugRelatedField(many=True, read_only=True, slug_field="code")
    patents = PatentSerializer(many=True, read_only=True)
    maturity_stage_display = serializers.CharField(source="get_maturity_stage_display", read_only=True)

    class Meta:
        model = Achievement
        fields = [
            "id",
            "institution",
            "title",
            "abstract",
            "keywords",
            "field",
            "trl",
            "maturity_stage",
            "maturity_stage_display",
            "transfer_modes",
            "patents",
            "asking_price_min",
            "asking_price_max",
            "inventors",
            "contact_name",
            "contact_phone",
            "contact_email",
            "language",
            "status",
            "published_at",
            "archived_at",
            "created_at",
            "updated_at",
        ]


class AchievementWriteSerializer(serializers.Serializer):
    institution = serializers.PrimaryKeyRelatedField(
        queryset=Institution.objects.all(),
        required=False,
        help_text="Only for platform administrators; members always write for their own institution.",
    )
    title = serializers.CharField(max_length=300)
    abstract = serializers.CharField(max_length=20_000)
    keywords = serializers.ListField(child=serializers.CharField(max_length=60), max_length=30, required=False)
    field = CodeRelatedField(queryset=TechnicalField.objects.all())
    trl = serializers.IntegerField(min_value=1, max_value=9, required=False, allow_null=True)
    maturity_stage = serializers.ChoiceField(choices=MaturityStage.choices, required=False)
    transfer_modes = CodeRelatedField(many=True, queryset=TransferMode.objects.all(), required=False)
    patents = PatentSerializer(many=True, required=False, max_length=50)
    asking_price_min = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    asking_price_max = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    inventors = serializers.CharField(max_length=500, required=False, allow_blank=True)
    experts = serializers.PrimaryKeyRelatedField(many=True, queryset=Expert.objects.all(), required=False)
    contact_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    contact_phone = serializers.CharField(max_length=30, required=False, allow_blank=True)
    contact_email = serializers.EmailField(required=False, allow_blank=True)
    language = serializers.ChoiceField(choices=Language.choices, required=False)
    status = serializers.ChoiceField(
        choices=[AchievementStatus.DRAFT, AchievementStatus.PUBLISHED],
        required=False,
        help_text="On creation only; later use the publish / archive / restore actions.",
    )


class ExpertSerializer(serializers.ModelSerializer):
    institution = InstitutionRefSerializer(read_only=True)
    field = ReferenceSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Expert
        fields = [
            "id",
            "institution",
            "name",
            "title",
            "field",
            "expertise",
            "email",
            "phone",
            "language",
            "created_at",
            "updated_at",
        ]


class ExpertWriteSerializer(serializers.Serializer):
    institution = serializers.PrimaryKeyRelatedField(queryset=Institution.objects.all(), required=False)
    name = serializers.CharField(max_length=100)
    title = serializers.CharField(max_length=100, required=False, allow_blank=True)
    field = CodeRelatedField(queryset=TechnicalField.objects.all(), required=False, allow_null=True)
    expertise = serializers.CharField(max_length=5000)
    email = serializers.EmailField(required=False, allow_blank=True)
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True)
    language = serializers.ChoiceField(choices=Language.choices, required=False)


class ImportRequestSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=".xlsx or .csv (UTF-8 or GBK), with the template's header row")
    on_duplicate = serializers.ChoiceField(choices=["error", "skip"], default="error")
    dry_run = serializers.BooleanField(default=False)
    institution = serializers.PrimaryKeyRelatedField(queryset=Institution.objects.all(), required=False)


class ImportResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    dry_run = serializers.BooleanField()
    skipped = serializers.ListField(child=serializers.DictField())
    ids = serializers.ListField(child=serializers.IntegerField())
