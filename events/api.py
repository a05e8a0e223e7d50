"""REST endpoints for programmes, events, registrations, meeting requests and schedules."""

from django.db import transaction
from django.db.models import Q
from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response

from core.api.views import JobSerializer, job_answer
from core.spreadsheets import XLSX_CONTENT_TYPE

from . import closed_days, participation, programmes, selectors, services
from .agendas import grid_xlsx, participant_ics
from .models import (
    MatchmakingEvent,
    MeetingRequest,
    Programme,
    PublicHoliday,
    Room,
    RoomClosure,
    Venue,
)
from .printouts import agenda_html, grid_print_html
from .serializers import (
    EventSerializer,
    HolidaySerializer,
    InviteSuggestionSerializer,
    MeetingRequestSerializer,
    MeetingSerializer,
    NewRequestSerializer,
    ProgrammeSerializer,
    RatingSerializer,
    RegisterSerializer,
    RegistrationRefSerializer,
    RegistrationSerializer,
    RoomSerializer,
    ScheduleSummarySerializer,
    SurveyAnswerSerializer,
    VenueSerializer,
)


def _organisers_only(user):
    if not selectors.is_organiser(user):
        raise PermissionDenied(_("Only organisers manage programmes and events."))


@extend_schema_view(
    list=extend_schema(summary="Programmes (organisers)", tags=["events"]),
    retrieve=extend_schema(summary="A programme", tags=["events"]),
    create=extend_schema(summary="Create a programme with its themes", tags=["events"]),
    partial_update=extend_schema(summary="Change a programme (themes are replaced when given)", tags=["events"]),
)
class ProgrammeViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = ProgrammeSerializer
    filter_backends = []
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Programme.objects.none()
        return selectors.programmes_visible_to(self.request.user)

    def create(self, request):
        _organisers_only(request.user)
        serializer = ProgrammeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        programme = programmes.create_programme(organiser=request.user, **serializer.validated_data)
        return Response(ProgrammeSerializer(programme).data, status=status.HTTP_201_CREATED)

    def perform_update(self, serializer):
        programme = programmes.update_programme(
            programme=serializer.instance, actor=self.request.user, **serializer.validated_data
        )
        serializer.instance = selectors.programmes_visible_to(self.request.user).get(pk=programme.pk)

    @extend_schema(
        summary="Place the programme's events on the calendar, in the background: follow the job it answers with",
        tags=["events"],
        request=None,
        responses={202: JobSerializer},
    )
    @action(detail=True, methods=["post"])
    def plan(self, request, pk=None):
        from django.urls import reverse
        from django.utils.translation import get_language

        from core import jobs as core_jobs

        from .jobs import start_plan

        programme = self.get_object()
        if not (request.user.is_platform_admin or programme.organiser_id == request.user.pk):
            raise PermissionDenied(_("Only the programme's organiser can plan it."))
        services.check_plan_inputs(programme)
        job_id = start_plan(programme, actor=request.user, language=get_language())
        return Response(
            job_answer(core_jobs.get(job_id, user=request.user)),
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": reverse("api-job", args=[job_id])},
        )


@extend_schema_view(
    list=extend_schema(summary="Events you may see", tags=["events"]),
    retrieve=extend_schema(summary="An event", tags=["events"]),
    create=extend_schema(summary="Create an event (organisers)", tags=["events"]),
    partial_update=extend_schema(summary="Edit an event (its organiser)", tags=["events"]),
)
class EventViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = EventSerializer
    filter_backends = []
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return MatchmakingEvent.objects.none()
        return selectors.events_visible_to(self.request.user)

    def _managed(self):
        event = self.get_object()
        if not selectors.can_manage_event(self.request.user, event):
            raise PermissionDenied(_("Only the event's organiser can do this."))
        return event

    def perform_create(self, serializer):
        _organisers_only(self.request.user)
        data = dict(serializer.validated_data)
        serializer.instance = services.create_event(organiser=self.request.user, fields=data.pop("fields", []), **data)

    def perform_update(self, serializer):
        event = self._managed()
        serializer.instance = services.update_event(
            actor=self.request.user, event=event, changes=serializer.validated_data
        )

    @extend_schema(
        summary="Register yourself",
        tags=["events"],
        request=RegisterSerializer,
        responses={201: RegistrationSerializer},
    )
    @action(detail=True, methods=["post"])
    def register(self, request, pk=None):
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        registration = services.register(event=self.get_object(), user=request.user, **serializer.validated_data)
        return Response(RegistrationSerializer(registration).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Registrations (organiser: all; others: their own)",
        tags=["events"],
        responses=RegistrationSerializer(many=True),
    )
    @action(detail=True, methods=["get"])
    def registrations(self, request, pk=None):
        event = self.get_object()
        queryset = event.registrations.select_related("user")
        if not selectors.can_manage_event(request.user, event):
            queryset = queryset.filter(user=request.user)
        return Response(RegistrationSerializer(queryset, many=True).data)

    @extend_schema(
        summary="Run the 1:1 scheduler (keeps existing meetings unless moving gains enough)",
        tags=["events"],
        request=None,
        responses=ScheduleSummarySerializer,
    )
    @action(detail=True, methods=["post"])
    def schedule(self, request, pk=None):
        summary = services.schedule_event(event=self._managed(), actor=request.user)
        return Response(ScheduleSummarySerializer(summary).data)

    @extend_schema(
        summary="Your agenda as an iCalendar file",
        tags=["events"],
        responses={(200, "text/calendar"): OpenApiTypes.BINARY},
    )
    @action(detail=True, methods=["get"], url_path="agenda")
    def agenda_ics(self, request, pk=None):
        event = self.get_object()
        registration = event.registrations.filter(user=request.user).first()
        if registration is None:
            raise NotFound(_("You are not registered for this event."))
        meetings = (
            selectors.meetings_visible_to(request.user, event)
            .filter(Q(holder=registration) | Q(enterprise=registration), status="scheduled")
            .select_related("holder__user__institution", "enterprise__user__enterprise")
        )
        body = participant_ics(event, registration, meetings, participation.label)
        response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="event-{event.pk}-agenda.ics"'
        return response

    @extend_schema(
        summary="The slots x tables grid as .xlsx (organiser)",
        tags=["events"],
        responses={(200, XLSX_CONTENT_TYPE): OpenApiTypes.BINARY},
    )
    @action(detail=True, methods=["get"], url_path="grid")
    def grid(self, request, pk=None):
        event = self._managed()
        meetings = event.meetings.filter(status="scheduled").select_related(
            "holder__user__institution", "enterprise__user__enterprise"
        )
        response = HttpResponse(
            grid_xlsx(event, services.event_slots(event), meetings, participation.label), content_type=XLSX_CONTENT_TYPE
        )
        response["Content-Disposition"] = f'attachment; filename="event-{event.pk}-grid.xlsx"'
        return response

    @extend_schema(
        summary="The meetings slot by slot, printable on A4 (organiser)",
        tags=["events"],
        responses={(200, "text/html"): str},
    )
    @action(detail=True, methods=["get"], url_path="grid/print")
    def grid_print(self, request, pk=None):
        return HttpResponse(grid_print_html(self._managed(), request), content_type="text/html; charset=utf-8")

    @extend_schema(
        summary="On the day: check a participant in",
        tags=["events"],
        request=RegistrationRefSerializer,
        responses=RegistrationSerializer,
    )
    @action(detail=True, methods=["post"], url_path="check-in")
    def check_in(self, request, pk=None):
        registration = self._registration(request)
        return Response(RegistrationSerializer(services.check_in(registration=registration)).data)

    @extend_schema(
        summary="On the day: record a no-show (frees their meetings' slots)",
        tags=["events"],
        request=RegistrationRefSerializer,
        responses=RegistrationSerializer,
    )
    @action(detail=True, methods=["post"], url_path="no-show")
    def no_show(self, request, pk=None):
        registration = self._registration(request)
        services.record_no_show(registration=registration)
        registration.refresh_from_db()
        return Response(RegistrationSerializer(registration).data)

    @extend_schema(
        summary="On the day: offer free tables to waiting pairs",
        tags=["events"],
        request=None,
        responses=MeetingSerializer(many=True),
    )
    @action(detail=True, methods=["post"], url_path="fill-freed-slots")
    def fill_freed_slots(self, request, pk=None):
        created = services.fill_freed_slots(event=self._managed())
        return Response(MeetingSerializer(created, many=True).data)

    @extend_schema(
        summary="Whom to invite, from the matching engine (organiser)",
        tags=["events"],
        responses=InviteSuggestionSerializer(many=True),
    )
    @action(detail=True, methods=["get"], url_path="invite-suggestions")
    def invite_suggestions(self, request, pk=None):
        rows = services.invite_suggestions(event=self._managed(), viewer=request.user)
        return Response(InviteSuggestionSerializer(rows, many=True).data)

    @extend_schema(
        summary="Answer the follow-up survey",
        tags=["events"],
        request=SurveyAnswerSerializer,
        responses=SurveyAnswerSerializer,
    )
    @action(detail=True, methods=["post"])
    def survey(self, request, pk=None):
        registration = self.get_object().registrations.filter(user=request.user).first()
        if registration is None:
            raise NotFound(_("You are not registered for this event."))
        serializer = SurveyAnswerSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.answer_survey(registration=registration, **serializer.validated_data)
        return Response(serializer.data)

    @extend_schema(summary="Your printable agenda (HTML)", tags=["events"], responses={(200, "text/html"): str})
    @action(detail=True, methods=["get"], url_path="agenda/print")
    def agenda_print(self, request, pk=None):
        event = self.get_object()
        registration = event.registrations.filter(user=request.user).select_related("user").first()
        if registration is None:
            raise NotFound(_("You are not registered for this event."))
        rows = [
            r for r in participation.agenda(event, registration, request.user) if r["meeting"].status == "scheduled"
        ]
        html = agenda_html(event, registration, rows, request, viewer=request.user)
        return HttpResponse(html, content_type="text/html; charset=utf-8")

    @extend_schema(
        summary="Rate one of your meetings and say what came of it",
        tags=["events"],
        request=RatingSerializer,
        responses=MeetingSerializer,
    )
    @action(detail=True, methods=["post"], url_path="meetings/<id:meeting_id>/rate")
    def rate(self, request, pk=None, meeting_id=None):
        meeting = selectors.meetings_visible_to(request.user, self.get_object()).filter(pk=meeting_id).first()
        if meeting is None:
            raise NotFound(_("No such meeting of yours."))
        serializer = RatingSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rated = services.rate_meeting(meeting=meeting, user=request.user, **serializer.validated_data)
        return Response(MeetingSerializer(rated).data)

    @extend_schema(
        summary="Confirm that you will attend", tags=["events"], request=None, responses=RegistrationSerializer
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        registration = self.get_object().registrations.filter(user=request.user).first()
        if registration is None:
            raise NotFound(_("You are not registered for this event."))
        return Response(RegistrationSerializer(services.confirm_attendance(registration=registration)).data)

    @extend_schema(
        summary="Cancel one of your meetings (or, as organiser, any)",
        tags=["events"],
        request=None,
        responses=MeetingSerializer,
    )
    @action(detail=True, methods=["post"], url_path="meetings/<id:meeting_id>/cancel")
    def cancel_meeting(self, request, pk=None, meeting_id=None):
        meeting = selectors.meetings_visible_to(request.user, self.get_object()).filter(pk=meeting_id).first()
        if meeting is None:
            raise NotFound(_("No such meeting of yours."))
        return Response(MeetingSerializer(services.cancel_meeting(meeting=meeting, user=request.user)).data)

    def _registration(self, request):
        event = self._managed()
        serializer = RegistrationRefSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        registration = event.registrations.filter(pk=serializer.validated_data["registration"]).first()
        if registration is None:
            raise NotFound(_("No such registration for this event."))
        return registration

    @extend_schema(
        summary="Meetings (organiser: all; participants: their own)",
        tags=["events"],
        responses=MeetingSerializer(many=True),
    )
    @action(detail=True, methods=["get"])
    def meetings(self, request, pk=None):
        return Response(
            MeetingSerializer(selectors.meetings_visible_to(request.user, self.get_object()), many=True).data
        )


@extend_schema_view(
    list=extend_schema(summary="Meeting requests you sent, received or recommended", tags=["events"]),
    create=extend_schema(
        summary="Ask for a meeting (brokers: recommend a pair)",
        tags=["events"],
        request=NewRequestSerializer,
        responses={201: MeetingRequestSerializer},
    ),
)
class MeetingRequestViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = MeetingRequestSerializer
    filter_backends = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return MeetingRequest.objects.none()
        return selectors.requests_visible_to(self.request.user)

    def create(self, request):
        serializer = NewRequestSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        receiver = data["receiver"]
        if request.user.role == "broker":
            sender = data.get("sender")
            if sender is None:
                raise PermissionDenied(_("Brokers recommend pairs at events they attend, naming both people."))
            made = services.recommend_pair(
                broker=request.user, sender=sender, receiver=receiver, message=data.get("message", "")
            )
        else:
            sender = receiver.event.registrations.filter(user=request.user).first()
            if sender is None:
                raise PermissionDenied(_("Register for the event first."))
            made = services.request_meeting(sender=sender, receiver=receiver, message=data.get("message", ""))
        return Response(MeetingRequestSerializer(made).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Accept a request sent to you", tags=["events"], request=None, responses=MeetingRequestSerializer
    )
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        answered = services.answer_request(request=self.get_object(), user=request.user, accept=True)
        return Response(MeetingRequestSerializer(answered).data)

    @extend_schema(
        summary="Decline a request sent to you", tags=["events"], request=None, responses=MeetingRequestSerializer
    )
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        answered = services.answer_request(request=self.get_object(), user=request.user, accept=False)
        return Response(MeetingRequestSerializer(answered).data)


class _OrganiserWrites(viewsets.ModelViewSet):
    """Everyone signed in reads; organisers and admins write."""

    filter_backends = []
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def check_permissions(self, request):
        super().check_permissions(request)
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            _organisers_only(request.user)


@extend_schema_view(
    list=extend_schema(summary="Venues and their rooms", tags=["events"]),
    retrieve=extend_schema(summary="A venue and its rooms", tags=["events"]),
    create=extend_schema(summary="Add a venue (organisers)", tags=["events"]),
    partial_update=extend_schema(summary="Rename or re-address a venue (organisers)", tags=["events"]),
    destroy=extend_schema(summary="Remove a venue with no events (organisers)", tags=["events"]),
)
class VenueViewSet(_OrganiserWrites):
    serializer_class = VenueSerializer
    queryset = Venue.objects.prefetch_related("rooms").order_by("name")


@extend_schema_view(
    list=extend_schema(summary="Rooms (with closed days on write)", tags=["events"]),
    retrieve=extend_schema(summary="A room: places, tables, closed days", tags=["events"]),
    create=extend_schema(summary="Add a room to a venue (organisers)", tags=["events"]),
    partial_update=extend_schema(summary="Change a room's places, tables or closed days (organisers)", tags=["events"]),
    destroy=extend_schema(summary="Remove a room with no events (organisers)", tags=["events"]),
)
class RoomViewSet(_OrganiserWrites):
    serializer_class = RoomSerializer
    queryset = Room.objects.select_related("venue").order_by("venue__name", "name")

    def perform_create(self, serializer):
        self._save(serializer)

    def perform_update(self, serializer):
        self._save(serializer)

    @transaction.atomic
    def _save(self, serializer):
        closed = serializer.validated_data.pop("closed_dates", None)
        room = serializer.save()
        if closed is not None:
            room.closures.all().delete()
            RoomClosure.objects.bulk_create(RoomClosure(room=room, date=day) for day in set(closed))


@extend_schema_view(
    list=extend_schema(
        summary="Days organisers close (the official public holidays of EVENTS_HOLIDAY_COUNTRY are closed anyway)",
        tags=["events"],
    ),
    retrieve=extend_schema(summary="A day organisers closed", tags=["events"]),
    create=extend_schema(summary="Close a day for planning (organisers)", tags=["events"]),
    destroy=extend_schema(summary="Open a day again (the organiser who closed it, or an admin)", tags=["events"]),
)
class HolidayViewSet(_OrganiserWrites):
    """Written through events/closed_days.py: an official holiday is closed already, a day is
    closed once, and only its organiser (or an admin) opens it again."""

    serializer_class = HolidaySerializer
    queryset = PublicHoliday.objects.all()
    http_method_names = ["get", "post", "delete", "head", "options"]

    def perform_create(self, serializer):
        serializer.instance = closed_days.add_closed_day(
            actor=self.request.user, day=serializer.validated_data["date"], name=serializer.validated_data["name"]
        )

    def perform_destroy(self, instance):
        closed_days.reopen_day(actor=self.request.user, holiday=instance)
