from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, viewsets

from core.models import District, TechnicalField, TransferMode
from core.serializers import ReferenceSerializer


class _ReferenceViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = ReferenceSerializer
    pagination_class = None
    filter_backends = []
    model = None

    def get_queryset(self):
        return self.model.objects.all()


@extend_schema_view(list=extend_schema(summary="The technical-field taxonomy", tags=["reference"]))
class TechnicalFieldViewSet(_ReferenceViewSet):
    model = TechnicalField


@extend_schema_view(list=extend_schema(summary="Districts of Chengdu", tags=["reference"]))
class DistrictViewSet(_ReferenceViewSet):
    model = District


@extend_schema_view(list=extend_schema(summary="Transfer and cooperation modes", tags=["reference"]))
class TransferModeViewSet(_ReferenceViewSet):
    model = TransferMode
