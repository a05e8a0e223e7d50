"""Participants' pages of an event: the event itself, registration, whom to meet, requests, the
personal agenda (with .ics, printable and a QR code per meeting), ratings and the follow-up survey."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.forms import apply_service_errors
from core.ids import parse_id

from . import participation, selectors, services
from .agendas import participant_ics
from .door_codes import check_in_url, qr_svg
from .forms import MeetingRequestForm, RatingForm, RegistrationForm, SurveyForm
from .models import EventStatus, FollowUpSurvey, MeetingRequest, MeetingStatus, Side


def _event(request, pk):
    return get_object_or_404(selectors.events_visible_to(request.user).select_related("room__venue"), pk=pk)


def _mine(request, event):
    """The viewer's registration, or 404 for a page only participants have."""
    registration = participation.registration_of(request.user, event)
    if registration is None:
        raise Http404(_("You are not registered for this event."))
    return registration


@login_required
def event_list(request):
    """The participant's own events still ahead, then the events open for registration, found by
    title, venue, field and month, 25 a page."""
    from django.core.paginator import Paginator

    from .forms import EventFilterForm

    visible = selectors.events_visible_to(request.user)
    mine = visible.filter(registrations__user=request.user)
    form = EventFilterForm(request.GET or None)
    filters = {**form.filters(), "when": "upcoming"}
    still_open = Q(registration_deadline__isnull=True) | Q(registration_deadline__gte=timezone.now())
    open_events = selectors.filter_events(
        visible.filter(still_open, status=EventStatus.OPEN).exclude(pk__in=mine.values("pk")), filters
    )
    return render(
        request,
        "events/list.html",
        {
            "mine": selectors.filter_events(mine, {"when": "upcoming"}),
            # present, not marked absent, at an event that took place
            "attended": selectors.filter_events(
                mine.exclude(status=EventStatus.CANCELLED).filter(
                    registrations__user=request.user, registrations__no_show=False
                ),
                {"when": "past"},
            )[:20],
            "form": form,
            "page": Paginator(open_events, 25).get_page(request.GET.get("page")),
        },
    )


@login_required
def event_detail(request, pk):
    event = _event(request, pk)
    registration = participation.registration_of(request.user, event)
    closed = _registration_closed(event)
    may_register = (
        registration is None
        and event.status == EventStatus.OPEN
        and services.SIDE_OF_ROLE.get(request.user.role) is not None
        and not closed
    )
    counts = {
        "holders": event.registrations.filter(side=Side.HOLDER).count(),
        "enterprises": event.registrations.filter(side=Side.ENTERPRISE).count(),
    }
    return render(
        request,
        "events/detail.html",
        {
            "event": event,
            "mine": registration,
            "may_register": may_register,
            "places_left": max(event.capacity - event.registrations.count(), 0),  # brokers take places too
            "counts": counts,
            "slots": services.event_slots(event),
            "manages": selectors.can_manage_event(request.user, event),
            "registration_closed": closed,
            "begun": event.starts_at <= timezone.now(),
            "ended": event.ends_at <= timezone.now(),
        },
    )


def _registration_closed(event) -> bool:
    return event.status != EventStatus.OPEN or bool(
        event.registration_deadline and timezone.now() > event.registration_deadline
    )


@login_required
def register_page(request, pk):
    event = _event(request, pk)
    registration = participation.registration_of(request.user, event)
    side = registration.side if registration else services.SIDE_OF_ROLE.get(request.user.role)
    if side is None:
        raise Http404(_("Only achievement holders, enterprises and brokers take part."))
    if registration is None and _registration_closed(event):
        messages.error(request, _("Registration for this event has closed."))
        return redirect("web-event-detail", pk=event.pk)
    form = RegistrationForm(
        request.POST or None,
        event=event,
        side=side,
        records=participation.own_records(request.user, side),
        registration=registration,
    )
    if request.method == "POST" and form.is_valid():
        try:
            if registration is None:
                services.register(event=event, user=request.user, **form.service_arguments())
                messages.success(request, _("You are registered. Now see whom to meet."))
                return redirect("web-event-participants", pk=event.pk)
            updated = services.update_registration(
                registration=registration, user=request.user, **form.service_arguments()
            )
            messages.success(request, _("Your registration is saved."))
            for meeting in services.meetings_outside_windows(updated):
                # the organiser's next scheduling run moves it; until then the agenda still shows it
                messages.warning(
                    request,
                    _(
                        "Your meeting at %(time)s is outside your new times: it stays on your agenda until "
                        "the organiser schedules again (their event page shows it)."
                    )
                    % {"time": timezone.localtime(meeting.starts_at).strftime("%H:%M")},
                )
            return redirect("web-event-detail", pk=event.pk)
        except ValidationError as error:
            apply_service_errors(form, error)
    return render(
        request,
        "events/register.html",
        {"event": event, "form": form, "registration": registration, "mine": registration},
    )


@login_required
def participants_page(request, pk):
    event = _event(request, pk)
    mine = _mine(request, event)
    if mine.side == Side.BROKER:
        return redirect("web-event-pairs", pk=event.pk)
    query = request.GET.get("q", "").replace("\x00", "").strip()[:100]
    entries = participation.catalogue(event, mine, request.user, query=query)
    fields = participation.fields_brought(event, mine, request.user)
    chosen = request.GET.get("field", "")
    if chosen in fields:
        entries = [e for e in entries if any(r.field and r.field.code == chosen for r in e.brings)]
    worth_only = request.GET.get("worth") == "1"
    if worth_only:
        entries = [e for e in entries if e.score]
    return render(
        request,
        "events/participants.html",
        {
            "event": event,
            "mine": mine,
            "entries": entries,
            "query": query,
            "fields": fields,
            "chosen_field": chosen if chosen in fields else "",
            "worth_only": worth_only,
            "form": MeetingRequestForm(),
            "ended": event.ends_at <= timezone.now(),
        },
    )


@login_required
@require_POST
def request_meeting(request, pk, registration_pk):
    event = _event(request, pk)
    mine = _mine(request, event)
    receiver = event.registrations.filter(pk=registration_pk).first()
    form = MeetingRequestForm(request.POST)
    if receiver is None:
        messages.error(request, _("This participant is not registered for the event."))
    elif form.is_valid():
        try:
            services.request_meeting(sender=mine, receiver=receiver, message=form.cleaned_data["message"])
            messages.success(
                request,
                _("Request sent to %(name)s.") % {"name": participation.organisation_of(receiver) or receiver.user},
            )
        except ValidationError as error:
            for text in error.messages:
                messages.error(request, text)
    else:
        for errors in form.errors.values():
            for text in errors:
                messages.error(request, text)
    return redirect(reverse("web-event-participants", args=[event.pk]) + f"#participant-{registration_pk}")


@login_required
def requests_page(request, pk):
    event = _event(request, pk)
    mine = _mine(request, event)
    received, sent = participation.requests_of(event, mine, request.user)
    return render(request, "events/requests.html", {"event": event, "mine": mine, "received": received, "sent": sent})


@login_required
@require_POST
def answer_request(request, pk, request_pk):
    event = _event(request, pk)
    mine = _mine(request, event)
    meeting_request = get_object_or_404(MeetingRequest, pk=request_pk, event=event, receiver=mine)
    accept = request.POST.get("answer") == "accept"
    try:
        services.answer_request(request=meeting_request, user=request.user, accept=accept)
        messages.success(
            request, _("Accepted: the meeting will be on your agenda once scheduled.") if accept else _("Declined.")
        )
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
    return redirect(reverse("web-event-requests", args=[event.pk]) + f"#request-{meeting_request.pk}")


@login_required
def agenda_page(request, pk):
    event = _event(request, pk)
    mine = _mine(request, event)
    rows = participation.agenda(event, mine, request.user)
    now = timezone.now()
    for row in rows:
        row["qr"] = qr_svg(check_in_url(request, event, row["meeting"], mine))
        row["rateable"] = row["meeting"].starts_at <= now and row["meeting"].status != MeetingStatus.CANCELLED
        row["form"] = RatingForm(
            initial={"rating": row["rating"], "outcome": row["outcome"]}, prefix=f"m{row['meeting'].pk}"
        )
    survey = FollowUpSurvey.objects.filter(registration=mine, answered_at__isnull=True).first()
    return render(
        request,
        "events/agenda_page.html",
        {
            "event": event,
            "mine": mine,
            "participant": participation.label(mine),
            "rows": rows,
            "survey": survey,
            "print": request.GET.get("print") == "1",
        },
    )


@login_required
def agenda_ics(request, pk):
    event = _event(request, pk)
    mine = _mine(request, event)
    meetings = (
        event.meetings.filter(Q(holder=mine) | Q(enterprise=mine), status=MeetingStatus.SCHEDULED)
        .select_related("holder__user__institution", "enterprise__user__enterprise", "holder__user", "enterprise__user")
        .order_by("starts_at")
    )
    response = HttpResponse(
        participant_ics(event, mine, meetings, participation.label), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="event-{event.pk}-agenda.ics"'
    return response


@login_required
@require_POST
def rate_meeting(request, pk, meeting_pk):
    event = _event(request, pk)
    meeting = participation.meeting_of(request.user, meeting_pk)
    if meeting is None or meeting.event_id != event.pk:
        raise Http404(_("No such meeting of yours."))
    form = RatingForm(request.POST, prefix=f"m{meeting.pk}")
    if form.is_valid():
        try:
            services.rate_meeting(meeting=meeting, user=request.user, **form.cleaned_data)
            messages.success(request, _("Thank you: your feedback is saved."))
        except ValidationError as error:
            for text in error.messages:
                messages.error(request, text)
    else:
        messages.error(request, _("Choose a rating from 1 to 5 and an outcome."))
    return redirect(reverse("web-event-agenda", args=[event.pk]) + f"#meeting-{meeting.pk}")


@login_required
def survey_page(request, pk):
    event = _event(request, pk)
    mine = _mine(request, event)
    survey = FollowUpSurvey.objects.filter(registration=mine).first()
    if survey is None:
        raise Http404(_("There is no follow-up survey for you at this event yet."))
    form = SurveyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.answer_survey(registration=mine, **form.cleaned_data)
            messages.success(request, _("Thank you for answering the survey."))
            return redirect("web-event-detail", pk=event.pk)
        except ValidationError as error:
            apply_service_errors(form, error)
    return render(request, "events/survey.html", {"event": event, "mine": mine, "form": form, "survey": survey})


@login_required
def pairs_page(request, pk):
    """A broker at the event: the pairs of participants worth a meeting, and recommending one."""
    event = _event(request, pk)
    mine = _mine(request, event)
    if mine.side != Side.BROKER:
        return redirect("web-event-participants", pk=event.pk)
    if request.method == "POST":
        holder = event.registrations.filter(pk=parse_id(request.POST.get("holder")), side=Side.HOLDER).first()
        enterprise = event.registrations.filter(
            pk=parse_id(request.POST.get("enterprise")), side=Side.ENTERPRISE
        ).first()
        if holder is None or enterprise is None:
            messages.error(request, _("Both people must be registered for the same event."))
        else:
            try:
                services.recommend_pair(broker=request.user, sender=holder, receiver=enterprise)
                messages.success(
                    request,
                    _("Recommended: %(holder)s and %(enterprise)s are asked to meet.")
                    % {"holder": participation.party(holder), "enterprise": participation.party(enterprise)},
                )
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
        return redirect(reverse("web-event-pairs", args=[event.pk]))
    pairs = participation.pairs_worth_meeting(event, request.user)
    return render(
        request,
        "events/pairs.html",
        {"event": event, "mine": mine, "pairs": pairs, "ended": event.ends_at <= timezone.now()},
    )
