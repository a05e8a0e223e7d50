from rest_framework import serializers

from core.api.fields import VisiblePrimaryKeyField
from events.models import Meeting
from matchmaking.models import Match

from .models import (
    Bid,
    BidAttachment,
    Challenge,
    ContractType,
    ProgrammeTarget,
    Review,
    ReviewerAssignment,
    TechnologyContract,
    UseFirstLicence,
)

MONEY = {"max_digits": 14, "decimal_places": 2, "min_value": 0, "coerce_to_string": False}


class CriterionSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=40)
    name = serializers.CharField(max_length=200)
    weight = serializers.FloatField(min_value=0.01, max_value=1000)


class ChallengeSerializer(serializers.ModelSerializer):
    need_title = serializers.CharField(source="need.title", read_only=True)
    enterprise = serializers.CharField(source="need.enterprise.name", read_only=True)
    field = serializers.CharField(source="need.field.code", read_only=True)
    award = serializers.DecimalField(**MONEY, read_only=True)
    criteria = CriterionSerializer(many=True, read_only=True)
    need_confidentiality = serializers.CharField(source="need.confidentiality", read_only=True)

    class Meta:
        model = Challenge
        fields = [
            "id",
            "need",
            "need_title",
            "enterprise",
            "field",
            "need_confidentiality",
            "public_consent",
            "stage",
            "award",
            "closes_on",
            "criteria",
            "screening_note",
            "submitted_at",
            "published_at",
            "awarded_at",
        ]
        read_only_fields = fields


class ChallengeCreateSerializer(serializers.Serializer):
    need = serializers.IntegerField()
    criteria = CriterionSerializer(many=True, required=False, min_length=1, max_length=20)
    public_consent = serializers.BooleanField(
        default=False,
        help_text="The enterprise agrees that its brokers-only need is published with the challenge (required then).",
    )


class ScreenSerializer(serializers.Serializer):
    approve = serializers.BooleanField()
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class PublishSerializer(serializers.Serializer):
    award = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0, required=False)
    closes_on = serializers.DateField(required=False)


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000)


class AssignReviewersSerializer(serializers.Serializer):
    count = serializers.IntegerField(min_value=1, max_value=10, default=3)
    expert_ids = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False, max_length=10)


class AwardSerializer(serializers.Serializer):
    bid = serializers.IntegerField()
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class AttachmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = BidAttachment
        fields = ["id", "name", "size", "uploaded_at"]
        read_only_fields = fields


class BidSerializer(serializers.ModelSerializer):
    institution_name = serializers.CharField(source="institution.name", read_only=True)
    budget = serializers.DecimalField(**MONEY, read_only=True)
    attachments = AttachmentSerializer(many=True, read_only=True)
    mean_score = serializers.FloatField(read_only=True, allow_null=True, default=None)

    class Meta:
        model = Bid
        fields = [
            "id",
            "challenge",
            "institution",
            "institution_name",
            "team_name",
            "team_members",
            "proposal",
            "budget",
            "timeline_months",
            "status",
            "created_at",
            "attachments",
            "mean_score",
        ]
        read_only_fields = fields


class BidCreateSerializer(serializers.Serializer):
    team_name = serializers.CharField(max_length=200)
    team_members = serializers.ListField(child=serializers.CharField(max_length=100), required=False, max_length=50)
    proposal = serializers.CharField(max_length=20000)
    budget = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0)
    timeline_months = serializers.IntegerField(min_value=1, max_value=120)


class AttachmentUploadSerializer(serializers.Serializer):
    file = serializers.FileField()


class ReviewCreateSerializer(serializers.Serializer):
    scores = serializers.DictField(child=serializers.FloatField(min_value=0, max_value=10), allow_empty=False)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")


class ReviewSerializer(serializers.ModelSerializer):
    reviewer = serializers.CharField(source="assignment.expert.name", read_only=True)

    class Meta:
        model = Review
        fields = ["id", "bid", "reviewer", "scores", "total", "comment", "submitted_at"]
        read_only_fields = fields


class ReviewerSerializer(serializers.ModelSerializer):
    expert_name = serializers.CharField(source="expert.name", read_only=True)
    institution = serializers.CharField(source="expert.institution.name", read_only=True)

    class Meta:
        model = ReviewerAssignment
        fields = ["id", "expert", "expert_name", "institution", "match_score", "assigned_at"]
        read_only_fields = fields


class LicenceSerializer(serializers.ModelSerializer):
    contract_title = serializers.CharField(source="contract.title", read_only=True)
    payment_amount = serializers.DecimalField(**MONEY, read_only=True, allow_null=True)

    class Meta:
        model = UseFirstLicence
        fields = [
            "id",
            "contract",
            "contract_title",
            "free_use_from",
            "free_use_until",
            "status",
            "evaluation",
            "evaluated_at",
            "payment_amount",
            "payment_due_on",
            "paid_on",
            "reminded_at",
        ]
        read_only_fields = fields


class UseFirstSerializer(serializers.Serializer):
    free_use_from = serializers.DateField()
    free_use_until = serializers.DateField()


class ContractSerializer(serializers.ModelSerializer):
    amount = serializers.DecimalField(**MONEY, read_only=True)
    institution_name = serializers.CharField(source="institution.name", read_only=True, default=None)
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True, default=None)
    field = serializers.CharField(source="field.code", read_only=True, default=None)
    district = serializers.CharField(source="district.code", read_only=True, default=None)
    licence = LicenceSerializer(read_only=True, allow_null=True, default=None)
    source = serializers.SerializerMethodField()

    class Meta:
        model = TechnologyContract
        fields = [
            "id",
            "contract_type",
            "title",
            "amount",
            "signed_on",
            "registration_number",
            "institution",
            "institution_name",
            "enterprise",
            "enterprise_name",
            "achievement",
            "field",
            "district",
            "broker",
            "agency",
            "match",
            "challenge",
            "meeting",
            "source",
            "direct_reason",
            "licence",
            "created_at",
        ]
        read_only_fields = fields

    def get_source(self, contract) -> str:
        from .contracts import contract_source

        return contract_source(contract)


def _visible_matches(user):
    from matchmaking.selectors import matches_visible_to

    return matches_visible_to(user)


def _visible_challenges(user):
    from .permissions import challenges_visible_to

    return challenges_visible_to(user)


def _visible_meetings(user):
    from events.selectors import meetings_visible_to_user

    return meetings_visible_to_user(user)


class ContractCreateSerializer(serializers.Serializer):
    contract_type = serializers.ChoiceField(choices=ContractType.choices)
    title = serializers.CharField(max_length=300)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0)
    signed_on = serializers.DateField()
    registration_number = serializers.CharField(max_length=40, required=False, allow_blank=True)
    match = VisiblePrimaryKeyField(queryset=Match.objects.all(), visible=_visible_matches, required=False)
    challenge = VisiblePrimaryKeyField(queryset=Challenge.objects.all(), visible=_visible_challenges, required=False)
    meeting = VisiblePrimaryKeyField(queryset=Meeting.objects.all(), visible=_visible_meetings, required=False)
    institution = serializers.IntegerField(
        required=False, min_value=1, help_text="Only for a contract without a source (committee)."
    )
    enterprise = serializers.IntegerField(
        required=False, min_value=1, help_text="Only for a contract without a source (committee)."
    )
    direct_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=2000,
        default="",
        help_text="Why a contract is recorded without a match, challenge or meeting (committee, required then).",
    )
    use_first = UseFirstSerializer(required=False)


class LicenceEvaluateSerializer(serializers.Serializer):
    keep = serializers.BooleanField()
    evaluation = serializers.CharField(max_length=5000)
    payment_amount = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0, required=False)
    payment_due_on = serializers.DateField(required=False)


class LicencePaidSerializer(serializers.Serializer):
    paid_on = serializers.DateField(required=False)


class TargetSerializer(serializers.ModelSerializer):
    contract_value = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0, coerce_to_string=False)
    contract_growth_pct = serializers.DecimalField(
        max_digits=5, decimal_places=1, min_value=-100, max_value=1000, coerce_to_string=False
    )

    class Meta:
        model = ProgrammeTarget
        fields = [
            "id",
            "year",
            "events_held",
            "achievements_collected",
            "achievements_matched",
            "brokers_active",
            "contract_value",
            "contract_growth_pct",
        ]
        extra_kwargs = {"year": {"min_value": 2000, "max_value": 2100}}
