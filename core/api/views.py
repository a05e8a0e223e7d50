from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

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


class JobSerializer(serializers.Serializer):
    """A long job's state: queued, running, done or failed, with its progress and result."""

    id = serializers.CharField()
    kind = serializers.CharField()
    state = serializers.ChoiceField(choices=["queued", "running", "done", "failed"])
    done = serializers.IntegerField(required=False)
    total = serializers.IntegerField(required=False)
    error = serializers.CharField(required=False)
    result = serializers.DictField(required=False, help_text="What the job produced (a plan: created, wanted, advice)")


def job_answer(state: dict) -> dict:
    """A job's state as the API answers it: the owner is not said, the rest of the result is."""
    known = {"id", "kind", "state", "done", "total", "error"}
    answer = {k: v for k, v in state.items() if k in known}
    result = {k: v for k, v in state.items() if k not in known | {"owner", "next_url"}}
    if result:
        answer["result"] = result
    return answer


class JobView(APIView):
    @extend_schema(
        summary="A long job you started (planning a year): its state and, once done, its result",
        tags=["jobs"],
        responses=JobSerializer,
    )
    def get(self, request, job_id):
        from core import jobs

        state = jobs.get(job_id, user=request.user)
        if state is None:
            raise NotFound()
        return Response(job_answer(state))
