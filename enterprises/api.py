"""REST endpoints for enterprises and technology needs (thin: services do the writes)."""

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.filters import OrderingFilter
from rest_framework.response import Response

from accounts.models import Role
from core.api.filters import FilterBackend
from core.api.mixins import owner_for_write
from core.api.search import ChineseAwareSearchFilter
from core.exporting import EXPORT_MAX_ROWS, export_response
from core.spreadsheets import XLSX_CONTENT_TYPE

from . import selectors, services
from .exporting import NEED_EXPORT_HEADERS, need_export_rows
from .filters import EnterpriseFilter, NeedFilter
from .models import TechnologyNeed
from .serializers import EnterpriseSerializer, EnterpriseWriteSerializer, NeedSerializer, NeedWriteSerializer

FILE_FORMAT = OpenApiParameter("file_format", str, enum=["xlsx", "csv"], default="xlsx")


@extend_schema_view(
    list=extend_schema(summary="List enterprises", tags=["enterprises"]),
    retrieve=extend_schema(summary="Get an enterprise", tags=["enterprises"]),
    create=extend_schema(
        summary="Register an enterprise (platform admins)",
        tags=["enterprises"],
        request=EnterpriseWriteSerializer,
        responses={201: EnterpriseSerializer},
    ),
    partial_update=extend_schema(
        summary="Update an enterprise (its members, admins)",
        tags=["enterprises"],
        request=EnterpriseWriteSerializer,
        responses=EnterpriseSerializer,
    ),
)
class EnterpriseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = EnterpriseSerializer
    filter_backends = [FilterBackend, OrderingFilter]
    filterset_class = EnterpriseFilter
    ordering_fields = ["name", "created_at"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.enterprise_list()

    def create(self, request):
        if not request.user.is_platform_admin:
            raise PermissionDenied(_("Only platform administrators can register enterprises."))
        serializer = EnterpriseWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        enterprise = services.enterprise_create(actor=request.user, **serializer.validated_data)
        return Response(EnterpriseSerializer(enterprise).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        enterprise = self.get_object()
        if not selectors.can_edit_enterprise(request.user, enterprise):
            raise PermissionDenied(_("You can only edit your own enterprise."))
        serializer = EnterpriseWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        enterprise = services.enterprise_update(enterprise=enterprise, actor=request.user, **serializer.validated_data)
        return Response(EnterpriseSerializer(enterprise).data)


@extend_schema_view(
    list=extend_schema(summary="List technology needs you may see", tags=["needs"]),
    retrieve=extend_schema(summary="Get a technology need", tags=["needs"]),
    create=extend_schema(
        summary="Post a technology need", tags=["needs"], request=NeedWriteSerializer, responses={201: NeedSerializer}
    ),
    partial_update=extend_schema(
        summary="Edit a technology need", tags=["needs"], request=NeedWriteSerializer, responses=NeedSerializer
    ),
    destroy=extend_schema(summary="Delete a draft need", tags=["needs"]),
)
class NeedViewSet(viewsets.ModelViewSet):
    serializer_class = NeedSerializer
    filter_backends = [FilterBackend, ChineseAwareSearchFilter, OrderingFilter]
    filterset_class = NeedFilter
    ordering_fields = ["created_at", "updated_at", "published_at", "deadline", "budget_max", "title"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return TechnologyNeed.objects.none()
        return selectors.need_list(user=self.request.user)

    def retrieve(self, request, pk=None):
        need = self.get_object()
        services.record_confidential_view(user=request.user, need=need)
        return Response(NeedSerializer(need).data)

    def _editable(self):
        need = self.get_object()
        if not selectors.can_edit_need(self.request.user, need):
            raise PermissionDenied(_("You can only change your own enterprise's needs."))
        return need

    def _respond(self, need, http_status=status.HTTP_200_OK):
        return Response(NeedSerializer(self.get_queryset().get(pk=need.pk)).data, status=http_status)

    def create(self, request):
        serializer = NeedWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user = request.user
        enterprise = owner_for_write(
            user,
            requested=data.pop("enterprise", None),
            own=user.enterprise,
            role=Role.ENTERPRISE,
            label="enterprise",
        )
        need = services.need_create(actor=user, enterprise=enterprise, **data)
        return self._respond(need, status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        need = self._editable()
        serializer = NeedWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        data.pop("enterprise", None)
        if "status" in data:
            raise PermissionDenied(_("Use the publish, close and archive actions to change the status."))
        return self._respond(services.need_update(need=need, actor=request.user, **data))

    def destroy(self, request, pk=None):
        services.need_delete(need=self._editable(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(summary="Publish a draft need", tags=["needs"], request=None, responses=NeedSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        return self._respond(services.need_publish(need=self._editable(), actor=request.user))

    @extend_schema(summary="Close a need (solved or withdrawn)", tags=["needs"], request=None, responses=NeedSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        return self._respond(services.need_close(need=self._editable(), actor=request.user))

    @extend_schema(summary="Archive a need", tags=["needs"], request=None, responses=NeedSerializer)
    @action(detail=True, methods=["post"])
    def archive(self, request, pk=None):
        return self._respond(services.need_archive(need=self._editable(), actor=request.user))

    @extend_schema(
        summary="Export the (filtered) needs you may see",
        tags=["needs"],
        parameters=[FILE_FORMAT],
        responses={(200, XLSX_CONTENT_TYPE): OpenApiTypes.BINARY, (200, "text/csv"): OpenApiTypes.BINARY},
    )
    @action(detail=False, methods=["get"])
    def export(self, request):
        queryset = self.filter_queryset(self.get_queryset())[:EXPORT_MAX_ROWS]
        return export_response(
            headers=NEED_EXPORT_HEADERS,
            rows=need_export_rows(queryset),
            basename="needs",
            file_format=request.query_params.get("file_format", "xlsx"),
            actor=request.user,
        )
