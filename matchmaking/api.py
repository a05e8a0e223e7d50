"""REST endpoints of the matching engine (thin: services and selectors do the work)."""

from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, Throttled, ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Role
from achievements.selectors import achievements_visible_to
from core.api.filters import CodeMultipleChoiceFilter, FilterBackend, StrictFilterSet
from core.models import TechnicalField
from enterprises.selectors import need_audiences_for, needs_visible_to

from . import selectors, services
from .analysis.analyse import analyse_draft
from .analysis.serializers import AnalyseInputSerializer, AnalysisSerializer
from .analysis.services import may_analyse_now, stored_analysis
from .interest import express_interest, interest_followed_up
from .models import Interest, Match, Stage
from .search import search_achievements
from .serializers import (
    ExpertSuggestionSerializer,
    InterestSerializer,
    MatchDetailSerializer,
    MatchSerializer,
    NewInterestSerializer,
    PreparingSerializer,
    RankedNeedSerializer,
    SearchResultSerializer,
    TransitionSerializer,
    preparing,
)


class MatchFilter(StrictFilterSet):
    stage = filters.MultipleChoiceFilter(choices=Stage.choices)
    field = CodeMultipleChoiceFilter(relation="need__field", queryset=TechnicalField.objects.all())
    score_min = filters.NumberFilter(field_name="score", lookup_expr="gte")
    need = filters.NumberFilter(field_name="need_id")
    achievement = filters.NumberFilter(field_name="achievement_id")
    district = filters.CharFilter(
        method="filter_district", help_text="the need's region or, where it names none, its enterprise's district"
    )

    class Meta:
        model = Match
        fields = []

    def filter_district(self, queryset, name, value):
        return selectors.in_district(queryset, value)


ASSIGNED = OpenApiParameter(
    "assigned",
    str,
    enum=["me", "all", "unassigned"],
    default="all",
    description="Brokers: `me` is your inbox of open matches",
)


@extend_schema_view(
    list=extend_schema(
        summary="Matches you may see (a broker's inbox with ?assigned=me)", tags=["matches"], parameters=[ASSIGNED]
    ),
    retrieve=extend_schema(summary="A match with its history", tags=["matches"], responses=MatchDetailSerializer),
)
class MatchViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = MatchSerializer
    filter_backends = [FilterBackend, OrderingFilter]
    filterset_class = MatchFilter
    ordering_fields = ["score", "rank", "updated_at", "created_at"]
    ordering = ["-score", "id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Match.objects.none()
        assigned = self.request.query_params.get("assigned", "all")
        if assigned not in ("me", "all", "unassigned"):
            raise ValidationError({"assigned": [_("Choose me, all or unassigned.")]})
        queryset = selectors.broker_inbox(user=self.request.user, assigned=assigned)
        if self.action == "retrieve":
            queryset = queryset.prefetch_related("events__actor")
        return queryset

    def get_serializer_class(self):
        return MatchDetailSerializer if self.action == "retrieve" else MatchSerializer

    @extend_schema(
        summary="Move a match to another stage (decline needs a reason)",
        tags=["matches"],
        request=TransitionSerializer,
        responses=MatchDetailSerializer,
    )
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        match = self.get_object()
        if not selectors.may_work_match(request.user, match):
            raise PermissionDenied(_("Only the broker this match is assigned to can work it."))
        serializer = TransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        services.match_transition(
            match=match,
            actor=request.user,
            to_stage=data["stage"],
            reason=data.get("reason", ""),
            note=data.get("note", ""),
            expected_version=data.get("version"),
        )
        fresh = self.get_queryset().prefetch_related("events__actor").get(pk=match.pk)
        return Response(MatchDetailSerializer(fresh).data)


class NeedMatchesView(APIView):
    @extend_schema(summary="Achievements matched to a need", tags=["matches"], responses=MatchSerializer(many=True))
    def get(self, request, pk):
        need = _get_or_404(needs_visible_to(request.user), pk)
        matches = selectors.match_list(user=request.user).filter(need=need).exclude(rank=None).order_by("rank")
        return Response(MatchSerializer(matches, many=True).data)


class AchievementMatchesView(APIView):
    @extend_schema(summary="Needs matched to an achievement", tags=["matches"], responses=MatchSerializer(many=True))
    def get(self, request, pk):
        achievement = _get_or_404(achievements_visible_to(request.user), pk)
        matches = selectors.match_list(user=request.user).filter(achievement=achievement).exclude(rank=None)
        return Response(MatchSerializer(matches.order_by("-score", "id"), many=True).data)


class AchievementNeedsView(APIView):
    @extend_schema(
        summary="Needs an achievement fits best (ranked now, from the needs you may see)",
        tags=["matches"],
        parameters=[OpenApiParameter("limit", int, default=20)],
        responses={200: RankedNeedSerializer(many=True), 202: PreparingSerializer},
    )
    def get(self, request, pk):
        achievement = _get_or_404(achievements_visible_to(request.user), pk)
        limit = _limit(request)
        rows = services.rank_needs_for_achievement(
            achievement, needs_visible_to(request.user), limit=limit, audiences=need_audiences_for(request.user)
        )
        if rows is None:
            return Response(preparing(), status=202, headers={"Retry-After": "30"})
        return Response(RankedNeedSerializer(rows, many=True).data)


class NeedExpertsView(APIView):
    @extend_schema(
        summary="Researchers suggested for a need", tags=["matches"], responses=ExpertSuggestionSerializer(many=True)
    )
    def get(self, request, pk):
        need = _get_or_404(needs_visible_to(request.user), pk)
        return Response(ExpertSuggestionSerializer(selectors.expert_suggestions_for(need), many=True).data)


class SearchView(APIView):
    @extend_schema(
        summary="Free-text search over published achievements, ranked by the hybrid ranker",
        tags=["matches"],
        parameters=[
            # at least one character that is not white space (the query is trimmed), 500 at most
            OpenApiParameter("q", {"type": "string", "pattern": r"\S", "maxLength": 500}, required=True),
            OpenApiParameter("limit", int, default=20),
        ],
        responses=SearchResultSerializer,
    )
    def get(self, request):
        query = (request.query_params.get("q") or "").strip()
        if not query:
            raise ValidationError({"q": [_("Type what you are looking for.")]})
        if len(query) > 500:
            raise ValidationError({"q": [_("The query is too long (500 characters at most).")]})
        found = search_achievements(query, user=request.user, limit=_limit(request))
        return Response(SearchResultSerializer(found).data)


def _limit(request) -> int:
    try:
        return min(max(int(request.query_params.get("limit", 20)), 1), 100)
    except ValueError:
        raise ValidationError({"limit": [_("A whole number, please.")]}) from None


def _get_or_404(queryset, pk):
    from django.shortcuts import get_object_or_404

    return get_object_or_404(queryset, pk=pk)


ANALYSIS_ROLES = (Role.ENTERPRISE, Role.BROKER, Role.ORGANISER, Role.ADMIN)


class NeedAnalyseView(APIView):
    @extend_schema(
        summary="Analyse a draft need (需求解构): key terms, fields, TRL/modes/budget, technical points, "
        "coverage, quality hints and a preview of its matches; nothing is stored",
        tags=["needs"],
        request=AnalyseInputSerializer,
        responses=AnalysisSerializer,
    )
    def post(self, request):
        if not (request.user.is_platform_admin or request.user.role in ANALYSIS_ROLES):
            raise PermissionDenied(_("Need analysis is for enterprises, brokers and the committee."))
        serializer = AnalyseInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if not may_analyse_now(request.user):
            raise Throttled(detail=_("Too many analyses in a short time: wait a minute and try again."))
        data = serializer.validated_data
        need_id = data.get("need")
        if need_id is not None and not needs_visible_to(request.user).filter(pk=need_id).exists():
            raise ValidationError({"need": [_("No such need.")]})
        result = analyse_draft(data, user=request.user, exclude_need=need_id)
        return Response(AnalysisSerializer(result).data)


class NeedAnalysisView(APIView):
    @extend_schema(
        summary="A need's stored analysis (需求解构), as brokers and the committee read it",
        tags=["needs"],
        responses={200: AnalysisSerializer, 202: PreparingSerializer},
    )
    def get(self, request, pk):
        need = _get_or_404(needs_visible_to(request.user), pk)
        if not (request.user.is_platform_admin or request.user.role in (Role.BROKER, Role.ORGANISER)):
            raise NotFound()
        result, _refreshing = stored_analysis(need, request.user)  # a stale one is shown while refreshed
        if result is None:
            return Response(
                {"state": "preparing", "message": _("The analysis is being prepared.")},
                status=status.HTTP_202_ACCEPTED,
                headers={"Retry-After": "10"},
            )
        return Response(AnalysisSerializer(result).data)


@extend_schema_view(
    list=extend_schema(
        summary="Interest expressed: my organisation's, or (brokers) the interest sent to me", tags=["matching"]
    ),
    create=extend_schema(
        summary="Express interest: an institution in a public need, an enterprise in an achievement",
        tags=["matching"],
        request=NewInterestSerializer,
        responses={201: InterestSerializer},
    ),
)
class InterestViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    serializer_class = InterestSerializer
    filter_backends = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Interest.objects.none()
        return selectors.interests_visible_to(self.request.user).order_by("-created_at", "-id")

    def create(self, request):
        serializer = NewInterestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        made = express_interest(
            actor=request.user,
            need_id=data.get("need"),
            achievement_id=data.get("achievement"),
            message=data.get("message", ""),
        )
        return Response(InterestSerializer(made).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Mark interest sent to me as followed up", tags=["matching"], request=None, responses=InterestSerializer
    )
    @action(detail=True, methods=["post"], url_path="followed-up")
    def followed_up(self, request, pk=None):
        done = interest_followed_up(actor=request.user, interest=self.get_object())
        return Response(InterestSerializer(done).data)
