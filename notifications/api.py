from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from . import selectors, services
from .models import Notification
from .serializers import NotificationSerializer, ReadResultSerializer, ReadSerializer, SettingSerializer


@extend_schema_view(
    list=extend_schema(
        summary="My notifications, newest first",
        tags=["notifications"],
        parameters=[OpenApiParameter("unread", bool, description="only the unread ones")],
    )
)
class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = NotificationSerializer
    filter_backends = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        unread_only = self.request.query_params.get("unread", "").lower() in ("1", "true")
        return selectors.notifications_for(self.request.user, unread_only=unread_only)

    @extend_schema(
        summary="Mark my notifications read (the ids given, or every unread one)",
        tags=["notifications"],
        request=ReadSerializer,
        responses=ReadResultSerializer,
    )
    @action(detail=False, methods=["post"], url_path="read")
    def read(self, request):
        serializer = ReadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        count = services.mark_read(user=request.user, notification_ids=serializer.validated_data.get("ids"))
        return Response({"marked_read": count})

    @extend_schema(
        methods=["get"],
        summary="What I am told, and how",
        tags=["notifications"],
        responses=SettingSerializer(many=True),
    )
    @extend_schema(
        methods=["put"],
        summary="Choose, per kind, on the site and by e-mail",
        tags=["notifications"],
        request=SettingSerializer(many=True),
        responses=SettingSerializer(many=True),
    )
    @action(detail=False, methods=["get", "put"], url_path="settings", pagination_class=None)
    def preferences(self, request):
        if request.method == "PUT":
            serializer = SettingSerializer(data=request.data, many=True)
            serializer.is_valid(raise_exception=True)
            services.save_settings(
                user=request.user,
                choices={row["kind"]: (row["web"], row["email"]) for row in serializer.validated_data},
            )
        return Response(SettingSerializer(selectors.settings_for(request.user), many=True).data)
