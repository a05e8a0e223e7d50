"""REST endpoints for institutions, experts and achievements (thin: services do the writes)."""

from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.filters import OrderingFilter
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from accounts.models import Role
from core.api.filters import FilterBackend
from core.api.mixins import owner_for_write
from core.api.search import ChineseAwareSearchFilter
from core.exporting import EXPORT_MAX_ROWS, check_file_format, export_response
from core.spreadsheets import XLSX_CONTENT_TYPE

from . import selectors, services
from .exporting import achievement_export_headers, achievement_export_rows
from .filters import AchievementFilter, ExpertFilter
from .importing import import_achievements, template_file
from .models import Achievement
from .serializers import (
    AchievementSerializer,
    AchievementWriteSerializer,
    ExpertSerializer,
    ExpertWriteSerializer,
    ImportRequestSerializer,
    ImportResultSerializer,
    InstitutionSerializer,
    InstitutionWriteSerializer,
)

FILE_FORMAT = OpenApiParameter("file_format", str, enum=["xlsx", "csv"], default="xlsx")


@extend_schema_view(
    list=extend_schema(summary="List institutions", tags=["institutions"]),
    retrieve=extend_schema(summary="Get an institution", tags=["institutions"]),
    create=extend_schema(
        summary="Create an institution (platform admins)",
        tags=["institutions"],
        request=InstitutionWriteSerializer,
        responses={201: InstitutionSerializer},
    ),
    partial_update=extend_schema(
        summary="Update an institution (its members, admins)",
        tags=["institutions"],
        request=InstitutionWriteSerializer,
        responses=InstitutionSerializer,
    ),
)
class InstitutionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = InstitutionSerializer
    filter_backends = [FilterBackend, ChineseAwareSearchFilter, OrderingFilter]
    search_title_field = search_document_field = "name"
    filterset_fields = {"kind": ["exact"], "district__code": ["exact"]}
    ordering_fields = ["name", "created_at"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.institution_list()

    def create(self, request):
        if not request.user.is_platform_admin:
            raise PermissionDenied(_("Only platform administrators can register institutions."))
        serializer = InstitutionWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        institution = services.institution_create(actor=request.user, **serializer.validated_data)
        return Response(InstitutionSerializer(institution).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        institution = self.get_object()
        if not selectors.can_edit_institution(request.user, institution):
            raise PermissionDenied(_("You can only edit your own institution."))
        serializer = InstitutionWriteSerializer(instance=institution, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        institution = services.institution_update(
            institution=institution, actor=request.user, **serializer.validated_data
        )
        return Response(InstitutionSerializer(institution).data)


@extend_schema_view(
    list=extend_schema(summary="List experts (researchers)", tags=["experts"]),
    retrieve=extend_schema(summary="Get an expert", tags=["experts"]),
    create=extend_schema(
        summary="Record an expert of your institution",
        tags=["experts"],
        request=ExpertWriteSerializer,
        responses={201: ExpertSerializer},
    ),
    partial_update=extend_schema(
        summary="Update an expert", tags=["experts"], request=ExpertWriteSerializer, responses=ExpertSerializer
    ),
    destroy=extend_schema(summary="Remove an expert", tags=["experts"]),
)
class ExpertViewSet(viewsets.ModelViewSet):
    serializer_class = ExpertSerializer
    filter_backends = [FilterBackend, ChineseAwareSearchFilter, OrderingFilter]
    search_title_field = "name"
    filterset_class = ExpertFilter
    ordering_fields = ["name", "created_at", "updated_at"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return selectors.expert_list()

    def _editable(self):
        expert = self.get_object()
        if not selectors.can_edit_expert(self.request.user, expert):
            raise PermissionDenied(_("You can only change experts of your own institution."))
        return expert

    def create(self, request):
        serializer = ExpertWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        institution = owner_for_write(
            request.user,
            requested=data.pop("institution", None),
            own=request.user.institution,
            role=Role.INSTITUTION,
            label="institution",
        )
        expert = services.expert_create(actor=request.user, institution=institution, **data)
        return Response(ExpertSerializer(expert).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        expert = self._editable()
        serializer = ExpertWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        serializer.validated_data.pop("institution", None)
        expert = services.expert_update(expert=expert, actor=request.user, **serializer.validated_data)
        return Response(ExpertSerializer(expert).data)

    def destroy(self, request, pk=None):
        services.expert_delete(expert=self._editable(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(summary="List achievements you may see", tags=["achievements"]),
    retrieve=extend_schema(summary="Get an achievement", tags=["achievements"]),
    create=extend_schema(
        summary="Create an achievement",
        tags=["achievements"],
        request=AchievementWriteSerializer,
        responses={201: AchievementSerializer},
    ),
    partial_update=extend_schema(
        summary="Edit an achievement",
        tags=["achievements"],
        request=AchievementWriteSerializer,
        responses=AchievementSerializer,
    ),
    destroy=extend_schema(summary="Delete a draft achievement", tags=["achievements"]),
)
class AchievementViewSet(viewsets.ModelViewSet):
    serializer_class = AchievementSerializer
    filter_backends = [FilterBackend, ChineseAwareSearchFilter, OrderingFilter]
    filterset_class = AchievementFilter
    ordering_fields = ["created_at", "updated_at", "published_at", "title", "trl", "asking_price_min"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Achievement.objects.none()
        return selectors.achievement_list(user=self.request.user)

    def _editable(self):
        achievement = self.get_object()
        if not selectors.can_edit_achievement(self.request.user, achievement):
            raise PermissionDenied(_("You can only change your own institution's achievements."))
        return achievement

    def _respond(self, achievement, http_status=status.HTTP_200_OK):
        fresh = self.get_queryset().get(pk=achievement.pk)
        return Response(AchievementSerializer(fresh).data, status=http_status)

    def _institution_for_write(self, requested):
        user = self.request.user
        return owner_for_write(
            user, requested=requested, own=user.institution, role=Role.INSTITUTION, label="institution"
        )

    def create(self, request):
        serializer = AchievementWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        institution = self._institution_for_write(data.pop("institution", None))
        achievement = services.achievement_create(actor=request.user, institution=institution, **data)
        return self._respond(achievement, status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        achievement = self._editable()
        serializer = AchievementWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        data.pop("institution", None)
        if "status" in data:
            raise PermissionDenied(_("Use the publish, archive and restore actions to change the status."))
        achievement = services.achievement_update(achievement=achievement, actor=request.user, **data)
        return self._respond(achievement)

    def destroy(self, request, pk=None):
        services.achievement_delete(achievement=self._editable(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(summary="Publish a draft", tags=["achievements"], request=None, responses=AchievementSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        return self._respond(services.achievement_publish(achievement=self._editable(), actor=request.user))

    @extend_schema(
        summary="Archive an achievement", tags=["achievements"], request=None, responses=AchievementSerializer
    )
    @action(detail=True, methods=["post"])
    def archive(self, request, pk=None):
        return self._respond(services.achievement_archive(achievement=self._editable(), actor=request.user))

    @extend_schema(
        summary="Restore an archived achievement as a draft",
        tags=["achievements"],
        request=None,
        responses=AchievementSerializer,
    )
    @action(detail=True, methods=["post"])
    def restore(self, request, pk=None):
        return self._respond(services.achievement_restore(achievement=self._editable(), actor=request.user))

    @extend_schema(
        summary="Import achievements from a spreadsheet (all or nothing)",
        tags=["achievements"],
        request={"multipart/form-data": ImportRequestSerializer},
        responses={201: ImportResultSerializer, 200: ImportResultSerializer},
    )
    @action(detail=False, methods=["post"], url_path="import", parser_classes=[MultiPartParser, FormParser])
    def import_file(self, request):
        serializer = ImportRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        institution = self._institution_for_write(data.get("institution"))
        result = import_achievements(
            upload=data["file"],
            institution=institution,
            actor=request.user,
            on_duplicate=data["on_duplicate"],
            dry_run=data["dry_run"],
        )
        body = ImportResultSerializer(result).data
        return Response(body, status=status.HTTP_200_OK if result.dry_run else status.HTTP_201_CREATED)

    @extend_schema(
        summary="Download the import template",
        tags=["achievements"],
        parameters=[FILE_FORMAT],
        responses={(200, XLSX_CONTENT_TYPE): OpenApiTypes.BINARY, (200, "text/csv"): OpenApiTypes.BINARY},
    )
    @action(detail=False, methods=["get"], url_path="import-template")
    def import_template(self, request):
        file_format = check_file_format(request.query_params.get("file_format", "xlsx"))
        response = HttpResponse(
            template_file(file_format), content_type=XLSX_CONTENT_TYPE if file_format == "xlsx" else "text/csv"
        )
        response["Content-Disposition"] = f'attachment; filename="achievements-template.{file_format}"'
        return response

    @extend_schema(
        summary="Export the (filtered) achievements you may see",
        tags=["achievements"],
        parameters=[FILE_FORMAT],
        responses={(200, XLSX_CONTENT_TYPE): OpenApiTypes.BINARY, (200, "text/csv"): OpenApiTypes.BINARY},
    )
    @action(detail=False, methods=["get"])
    def export(self, request):
        queryset = self.filter_queryset(self.get_queryset())[:EXPORT_MAX_ROWS]
        return export_response(
            headers=achievement_export_headers(),
            rows=achievement_export_rows(queryset),
            basename="achievements",
            file_format=request.query_params.get("file_format", "xlsx"),
            actor=request.user,
        )
