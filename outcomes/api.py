"""REST endpoints for challenges, bids, contracts, licences, targets and KPI reports (thin:
the services in challenges.py / contracts.py and the queries in reports.py do the work)."""

from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from achievements.models import Institution
from core import audit
from core.ids import parse_int
from core.spreadsheets import XLSX_CONTENT_TYPE
from enterprises.models import Enterprise
from enterprises.selectors import needs_visible_to

from . import challenges, contracts, reports
from .exporting import annual_report_xlsx
from .models import Bid, Challenge, ProgrammeTarget, TechnologyContract, UseFirstLicence
from .permissions import (
    bids_visible_to,
    can_report,
    challenge_history_visible,
    challenges_visible_to,
    contracts_visible_to,
    is_committee,
    licences_visible_to,
)
from .serializers import (
    AssignReviewersSerializer,
    AttachmentSerializer,
    AttachmentUploadSerializer,
    AwardSerializer,
    BidCreateSerializer,
    BidSerializer,
    ChallengeCreateSerializer,
    ChallengeSerializer,
    ContractCreateSerializer,
    ContractSerializer,
    LicenceEvaluateSerializer,
    LicencePaidSerializer,
    LicenceSerializer,
    NoteSerializer,
    PublishSerializer,
    ReviewCreateSerializer,
    ReviewerSerializer,
    ReviewSerializer,
    ScreenSerializer,
    TargetSerializer,
)

AuditSerializer = inline_serializer(
    "AuditEntry",
    {
        "action": serializers.CharField(),
        "actor": serializers.CharField(allow_null=True),
        "detail": serializers.DictField(),
        "at": serializers.DateTimeField(),
    },
    many=True,
)


def _history(entries) -> list[dict]:
    return [
        {
            "action": e.action,
            "actor": e.actor.username if e.actor_id else None,
            "detail": e.detail,
            "at": e.created_at,
        }
        for e in entries
    ]


@extend_schema_view(
    list=extend_schema(summary="List 揭榜挂帅 challenges you may see", tags=["challenges"]),
    retrieve=extend_schema(summary="Get a challenge", tags=["challenges"]),
)
class ChallengeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ChallengeSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Challenge.objects.none()
        return challenges_visible_to(self.request.user)

    def _reply(self, challenge, http_status=status.HTTP_200_OK):
        return Response(ChallengeSerializer(self.get_queryset().get(pk=challenge.pk)).data, status=http_status)

    @extend_schema(
        summary="Submit a challenge need for screening (its enterprise, or the committee)",
        tags=["challenges"],
        request=ChallengeCreateSerializer,
        responses={201: ChallengeSerializer},
    )
    def create(self, request):
        serializer = ChallengeCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        need = needs_visible_to(request.user).filter(pk=serializer.validated_data["need"]).first()
        if need is None:
            raise ValidationError({"need": [_("No such need.")]})
        challenge = challenges.challenge_submit(
            actor=request.user,
            need=need,
            criteria=serializer.validated_data.get("criteria"),
            public_consent=serializer.validated_data["public_consent"],
        )
        return self._reply(challenge, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Screen: approve or reject with a reason (committee)",
        tags=["challenges"],
        request=ScreenSerializer,
        responses=ChallengeSerializer,
    )
    @action(detail=True, methods=["post"])
    def screen(self, request, pk=None):
        challenge = self.get_object()
        data = self._valid(ScreenSerializer)
        return self._reply(challenges.challenge_screen(actor=request.user, challenge=challenge, **data))

    @extend_schema(
        summary="Publish with award and closing date (committee)",
        tags=["challenges"],
        request=PublishSerializer,
        responses=ChallengeSerializer,
    )
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        challenge = self.get_object()
        data = self._valid(PublishSerializer)
        return self._reply(challenges.challenge_publish(actor=request.user, challenge=challenge, **data))

    @extend_schema(
        summary="Close bidding early (committee)", tags=["challenges"], request=None, responses=ChallengeSerializer
    )
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        return self._reply(challenges.challenge_close(actor=request.user, challenge=self.get_object()))

    @extend_schema(
        summary="Cancel with a reason (committee)",
        tags=["challenges"],
        request=NoteSerializer,
        responses=ChallengeSerializer,
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        challenge = self.get_object()
        data = self._valid(NoteSerializer)
        return self._reply(challenges.challenge_cancel(actor=request.user, challenge=challenge, **data))

    @extend_schema(
        summary="Assign reviewers from the expert matching, or name them (committee)",
        tags=["challenges"],
        request=AssignReviewersSerializer,
        responses=ReviewerSerializer(many=True),
    )
    @action(detail=True, methods=["get", "post"], url_path="reviewers")
    def reviewers(self, request, pk=None):
        challenge = self.get_object()
        if not is_committee(request.user):
            raise PermissionDenied(_("Only the committee sees and assigns reviewers."))
        if request.method == "POST":
            data = self._valid(AssignReviewersSerializer)
            challenges.assign_reviewers(actor=request.user, challenge=challenge, **data)
        assigned = challenge.reviewers.select_related("expert__institution")
        return Response(ReviewerSerializer(assigned, many=True).data)

    @extend_schema(
        summary="Award the challenge to a reviewed bid (committee)",
        tags=["challenges"],
        request=AwardSerializer,
        responses=ChallengeSerializer,
    )
    @action(detail=True, methods=["post"])
    def award(self, request, pk=None):
        challenge = self.get_object()
        data = self._valid(AwardSerializer)
        bid = challenge.bids.filter(pk=data["bid"]).first()
        if bid is None:
            raise ValidationError({"bid": [_("No such bid on this challenge.")]})
        return self._reply(
            challenges.challenge_award(actor=request.user, challenge=challenge, bid=bid, note=data["note"])
        )

    @extend_schema(
        summary="Bids you may see (GET), ranked by review score; bid (POST, institutions)",
        tags=["challenges"],
        request=BidCreateSerializer,
        responses=BidSerializer(many=True),
    )
    @action(detail=True, methods=["get", "post"])
    def bids(self, request, pk=None):
        challenge = self.get_object()
        if request.method == "POST":
            data = self._valid(BidCreateSerializer)
            bid = challenges.bid_submit(actor=request.user, challenge=challenge, **data)
            return Response(BidSerializer(bid).data, status=status.HTTP_201_CREATED)
        visible = set(bids_visible_to(request.user, challenge).values_list("pk", flat=True))
        ranked = [b for b in challenges.ranked_bids(challenge) if b.pk in visible]
        return Response(BidSerializer(ranked, many=True).data)

    @extend_schema(summary="Audit trail of the challenge", tags=["challenges"], responses=AuditSerializer)
    @action(detail=True, methods=["get"])
    def history(self, request, pk=None):
        challenge = self.get_object()
        if not (is_committee(request.user) or request.user.enterprise_id == challenge.need.enterprise_id):
            raise PermissionDenied(_("Only the committee and the challenge's enterprise see its history."))
        return Response(_history(challenge_history_visible(request.user, challenge, audit.trail(challenge))))

    def _valid(self, serializer_class) -> dict:
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)


@extend_schema_view(retrieve=extend_schema(summary="Get a bid", tags=["challenges"]))
class BidViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = BidSerializer
    queryset = Bid.objects.none()  # get_object looks the bid up through what the user may see

    def get_object(self):
        bid = get_object_or_404(Bid.objects.select_related("challenge__need"), pk=self.kwargs["pk"])
        if not challenges_visible_to(self.request.user).filter(pk=bid.challenge_id).exists():
            raise Http404
        if not bids_visible_to(self.request.user, bid.challenge).filter(pk=bid.pk).exists():
            raise Http404
        return bid

    @extend_schema(summary="Withdraw your bid", tags=["challenges"], request=None, responses=BidSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        return Response(BidSerializer(challenges.bid_withdraw(actor=request.user, bid=self.get_object())).data)

    @extend_schema(
        summary="Attach a file to your bid (PDF, Office, image, zip; 20 MB)",
        tags=["challenges"],
        request={"multipart/form-data": AttachmentUploadSerializer},
        responses={201: AttachmentSerializer},
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser])
    def attachments(self, request, pk=None):
        bid = self.get_object()
        serializer = AttachmentUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        attachment = challenges.bid_attach(actor=request.user, bid=bid, upload=serializer.validated_data["file"])
        return Response(AttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Download an attachment of a bid you may see",
        tags=["challenges"],
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
    )
    @action(detail=True, methods=["get"], url_path="attachments/<id:attachment_id>")
    def attachment(self, request, pk=None, attachment_id=None):
        attachment = get_object_or_404(self.get_object().attachments, pk=attachment_id)
        audit.record(request.user, "bid.attachment_downloaded", attachment.bid, name=attachment.name)
        return FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.name)

    @extend_schema(
        summary="Score the bid per criterion (assigned reviewers)",
        tags=["challenges"],
        request=ReviewCreateSerializer,
        responses={201: ReviewSerializer},
    )
    @action(detail=True, methods=["post"])
    def reviews(self, request, pk=None):
        bid = self.get_object()
        serializer = ReviewCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        review = challenges.review_submit(actor=request.user, bid=bid, **serializer.validated_data)
        return Response(ReviewSerializer(review).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(summary="Technology contracts you may see", tags=["contracts"]),
    retrieve=extend_schema(summary="Get a contract", tags=["contracts"]),
)
class ContractViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ContractSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return TechnologyContract.objects.none()
        return contracts_visible_to(self.request.user).select_related("licence")

    @extend_schema(
        summary="Record a signed contract (from a match, an awarded challenge or a meeting)",
        tags=["contracts"],
        request=ContractCreateSerializer,
        responses={201: ContractSerializer},
    )
    def create(self, request):
        # the match, challenge or meeting is looked up among those the author may see: one
        # they may not see answers exactly as one that does not exist
        serializer = ContractCreateSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        for name, model in (("institution", Institution), ("enterprise", Enterprise)):
            if name in data:
                data[name] = model.objects.filter(pk=data[name]).first()
                if data[name] is None:
                    raise ValidationError({name: [_("No such record.")]})
        if "use_first" in data:
            data["use_first"] = dict(data["use_first"])
        with transaction.atomic():  # the answer is part of the write: never a recorded contract and a 500
            contract = contracts.contract_create(actor=request.user, **data)
            body = ContractSerializer(self.get_queryset().get(pk=contract.pk)).data
        return Response(body, status=201)


@extend_schema_view(
    list=extend_schema(summary="先使用后付费 licences you may see", tags=["contracts"]),
    retrieve=extend_schema(summary="Get a licence", tags=["contracts"]),
)
class LicenceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = LicenceSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return UseFirstLicence.objects.none()
        return licences_visible_to(self.request.user)

    @extend_schema(
        summary="Record the evaluation: keep (with the payment agreed) or hand back",
        tags=["contracts"],
        request=LicenceEvaluateSerializer,
        responses=LicenceSerializer,
    )
    @action(detail=True, methods=["post"])
    def evaluate(self, request, pk=None):
        licence = self.get_object()
        serializer = LicenceEvaluateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        licence = contracts.licence_evaluate(actor=request.user, licence=licence, **serializer.validated_data)
        return Response(LicenceSerializer(licence).data)

    @extend_schema(
        summary="Record the payment", tags=["contracts"], request=LicencePaidSerializer, responses=LicenceSerializer
    )
    @action(detail=True, methods=["post"])
    def paid(self, request, pk=None):
        licence = self.get_object()
        serializer = LicencePaidSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        licence = contracts.licence_paid(actor=request.user, licence=licence, **serializer.validated_data)
        return Response(LicenceSerializer(licence).data)


class CommitteeOnly:
    def check_permissions(self, request):
        super().check_permissions(request)
        if not can_report(request.user):
            raise PermissionDenied(_("Only organisers and administrators see the programme's reports."))


@extend_schema_view(
    list=extend_schema(summary="Yearly programme targets", tags=["reports"]),
    retrieve=extend_schema(summary="Get a year's targets", tags=["reports"]),
    create=extend_schema(summary="Set a year's targets", tags=["reports"]),
    partial_update=extend_schema(summary="Change a year's targets", tags=["reports"]),
)
class TargetViewSet(CommitteeOnly, viewsets.ModelViewSet):
    serializer_class = TargetSerializer
    queryset = ProgrammeTarget.objects.all()
    http_method_names = ["get", "post", "patch", "head", "options"]


YEAR = OpenApiParameter(
    "year", {"type": "integer", "minimum": 2000, "maximum": 2100}, description="calendar year; default: this year"
)


def _year(request) -> int:
    raw = request.query_params.get("year") or str(timezone.localdate().year)
    year = parse_int(raw, minimum=2000, maximum=2100)
    if year is None:
        raise ValidationError({"year": [_("Give a year between 2000 and 2100.")]})
    return year


class KpiView(CommitteeOnly, APIView):
    @extend_schema(
        summary="Targets vs actuals for a year, with last year and growth",
        tags=["reports"],
        parameters=[YEAR],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request):
        return Response(reports.kpi(_year(request)))


class BreakdownView(CommitteeOnly, APIView):
    @extend_schema(
        summary="Contracts, value, introductions and achievements by month, field, district, institution or agency",
        tags=["reports"],
        parameters=[YEAR, OpenApiParameter("by", str, enum=list(reports.DIMENSIONS), default="month")],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request):
        dimension = request.query_params.get("by", "month")
        if dimension not in reports.DIMENSIONS:
            raise ValidationError(
                {"by": [_("Choose one of: %(choices)s.") % {"choices": ", ".join(reports.DIMENSIONS)}]}
            )
        year = _year(request)
        return Response({"year": year, "by": dimension, "rows": reports.breakdown(year, dimension)})


class BrokerReportView(CommitteeOnly, APIView):
    @extend_schema(
        summary="Broker performance: caseload, introductions, meetings, contracts, days to introduce",
        tags=["reports"],
        parameters=[YEAR],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request):
        year = _year(request)
        return Response({"year": year, "rows": reports.broker_performance(year)})


class AgencyReportView(CommitteeOnly, APIView):
    @extend_schema(summary="Agency performance", tags=["reports"], parameters=[YEAR], responses=OpenApiTypes.OBJECT)
    def get(self, request):
        year = _year(request)
        return Response({"year": year, "rows": reports.agency_performance(year)})


class ChallengeFunnelView(CommitteeOnly, APIView):
    @extend_schema(
        summary="揭榜挂帅 funnel: taken in, published, bid on, solved, funded",
        tags=["reports"],
        parameters=[YEAR],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request):
        return Response(reports.challenge_funnel(_year(request)))


class AnnualReportView(CommitteeOnly, APIView):
    @extend_schema(
        summary="The annual report as .xlsx (indicator table, breakdowns, brokers, challenges)",
        tags=["reports"],
        parameters=[YEAR],
        responses={(200, XLSX_CONTENT_TYPE): OpenApiTypes.BINARY},
    )
    def get(self, request):
        year = _year(request)
        body = annual_report_xlsx(year)
        audit.record(request.user, "report.exported", request.user, year=year)
        response = HttpResponse(body, content_type=XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = f'attachment; filename="techbridge-annual-report-{year}.xlsx"'
        return response
