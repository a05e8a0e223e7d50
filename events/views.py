"""Organiser pages: an event with its registrations, requests, the scheduler and the grid."""

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from core.ids import parse_int
from core.validators import EARLIEST_DATE, LATEST_DATE

from . import jobs, selectors, services
from .agendas import grid_cells, slot_lists, tables_in_use
from .models import MatchmakingEvent, MeetingStatus


def _managed_event(request, pk):
    event = get_object_or_404(selectors.events_visible_to(request.user), pk=pk)
    if not selectors.can_manage_event(request.user, event):
        raise PermissionDenied
    return event


@login_required
def event_page(request, pk):
    from .participation import party, with_what_they_bring

    event = _managed_event(request, pk)
    meetings = list(
        event.meetings.select_related(
            "holder__user__institution", "holder__user__enterprise", "enterprise__user__institution"
        ).select_related("enterprise__user__enterprise")
    )
    # held meetings stay where they took place (a rating marks one held: walk 17 #9)
    scheduled = [m for m in meetings if m.status in (MeetingStatus.SCHEDULED, MeetingStatus.HELD)]
    slots = services.event_slots(event)
    registrations = list(with_what_they_bring(event.registrations.order_by("side", "id"), request.user))
    by_pk = {r.pk: r for r in registrations}
    requests = [
        {"request": q, "sender": by_pk.get(q.sender_id), "receiver": by_pk.get(q.receiver_id)}
        for q in event.requests.order_by("-created_at", "-id")[:300]
    ]
    return render(
        request,
        "organiser/event.html",
        {
            "event": event,
            "registrations": registrations,
            "requests": requests,
            "grid": grid_cells(event, slots, scheduled, party),
            "tables": tables_in_use(scheduled),
            "slot_lists": slot_lists(slots, scheduled, party),
            "view": "slots" if request.GET.get("view") == "slots" else "grid",
            "day": on_the_day_text(selectors.on_the_day(event)),
            "absence_closed": services.door_closed_reason(event, absence=True),
            "job": _with_percent(jobs.job_state(event.pk)),
            "outside_windows": [
                (meeting, party(registration))
                for meeting, registration in services.event_meetings_outside_windows(event, meetings, by_pk)
            ],
        },
    )


def _with_percent(job: dict) -> dict:
    return {**job, "gap_percent": f"{100 * job['gap']:.2f}"} if "gap" in job else job


def on_the_day_text(day: dict) -> str:
    parts = [
        _("%(checked_in)s of %(registered)s checked in") % day,
        _("%(no_show)s absent") % day,
        ngettext("%(n)s meeting freed by no-shows", "%(n)s meetings freed by no-shows", day["freed"])
        % {"n": day["freed"]},
        ngettext("%(n)s meeting scheduled", "%(n)s meetings scheduled", day["scheduled"]) % {"n": day["scheduled"]},
        _("%(cancelled)s cancelled") % day,
    ]
    return " · ".join(parts)


@login_required
def on_the_day(request, pk):
    """The live figures of the organiser's event and check-in pages, polled while the page is open."""
    day = selectors.on_the_day(_managed_event(request, pk))
    return JsonResponse({**day, "text": on_the_day_text(day)})


@login_required
@require_POST
def offer_freed_tables(request, pk):
    from django.contrib import messages
    from django.core.exceptions import ValidationError

    from .participation import party

    event = _managed_event(request, pk)
    back = redirect("organiser-check-in" if request.POST.get("next") == "check-in" else "organiser-event", pk=event.pk)
    try:
        created = services.fill_freed_slots(event=event)
    except ValidationError as error:  # before the event has begun no table is freed yet
        messages.error(request, " ".join(error.messages))
        return back
    for meeting in created:
        messages.info(
            request,
            _("%(time)s, table %(table)s: %(holder)s × %(enterprise)s")
            % {
                "time": timezone.localtime(meeting.starts_at).strftime("%H:%M"),
                "table": meeting.table,
                "holder": party(meeting.holder),
                "enterprise": party(meeting.enterprise),
            },
        )
    if created:
        messages.success(
            request,
            ngettext(
                "%(count)s freed table was given to a waiting pair.",
                "%(count)s freed tables were given to waiting pairs.",
                len(created),
            )
            % {"count": len(created)},
        )
    else:
        messages.info(
            request, _("No waiting pair whose two people have checked in fits a freed table in the slots still ahead.")
        )
    return back


@login_required
def grid_print(request, pk):
    from .printouts import grid_print_html

    return HttpResponse(grid_print_html(_managed_event(request, pk), request), content_type="text/html; charset=utf-8")


@login_required
def agendas_download(request, pk):
    from .printouts import agendas_zip

    event = _managed_event(request, pk)
    response = HttpResponse(agendas_zip(event, request), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="event-{event.pk}-agendas.zip"'
    return response


@login_required
@require_POST
def run_scheduler(request, pk):
    event = _managed_event(request, pk)
    jobs.start_schedule(event)
    return redirect("organiser-event", pk=event.pk)


@login_required
def scheduler_status(request, pk):
    event = _managed_event(request, pk)
    return JsonResponse(jobs.job_state(event.pk))


@login_required
def organiser_events(request):
    """Every event the organiser runs (admins: all), found by title, venue, field, month and
    status, 25 a page: a programme holds hundreds."""
    from django.core.paginator import Paginator
    from django.db.models import Count

    from .forms import EventFilterForm

    if not selectors.is_organiser(request.user):
        raise PermissionDenied
    form = EventFilterForm(request.GET or None, statuses=True)
    events = MatchmakingEvent.objects.select_related("room__venue").annotate(registered=Count("registrations"))
    if not request.user.is_platform_admin:
        events = events.filter(organiser=request.user)
    page = Paginator(selectors.filter_events(events, form.filters()), 25).get_page(request.GET.get("page"))
    return render(request, "organiser/events.html", {"form": form, "page": page})


@login_required
def calendar_page(request):
    """The year's programme as a month calendar: every event the organiser runs (admins: all)."""
    import calendar
    from datetime import date

    from django.utils import timezone

    if not selectors.is_organiser(request.user):
        raise PermissionDenied
    today = timezone.localdate()
    year = parse_int(request.GET.get("year", str(today.year)), minimum=EARLIEST_DATE.year, maximum=LATEST_DATE.year)
    month = parse_int(request.GET.get("month", str(today.month)), minimum=1, maximum=12)
    first = date(year, month, 1) if year and month else today.replace(day=1)
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
    events = MatchmakingEvent.objects.filter(
        starts_at__date__gte=weeks[0][0], starts_at__date__lte=weeks[-1][-1]
    ).select_related("room__venue")
    if not request.user.is_platform_admin:
        events = events.filter(organiser=request.user)
    by_day: dict = {}
    for event in events.order_by("starts_at"):
        by_day.setdefault(timezone.localtime(event.starts_at).date(), []).append(event)
    previous = (first - timedelta(days=1)).replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return render(
        request,
        "organiser/calendar.html",
        {
            "first": first,
            "weeks": [[(day, by_day.get(day, []), day.month == first.month) for day in week] for week in weeks],
            "previous": previous,
            "following": following,
            "today": today,
            "count": sum(len(v) for d, v in by_day.items() if d.month == first.month),
            "weekdays": [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")],
        },
    )


@login_required
def check_in_page(request, pk):
    """At the door: scan a participant's meeting QR code (it opens this page with its code) or
    search by name, then check them in; no-shows are recorded from the same list."""
    from django.contrib import messages
    from django.core.exceptions import ValidationError
    from django.db.models import Q

    from .door_codes import read_check_in_code
    from .participation import label

    event = _managed_event(request, pk)
    registrations = event.registrations.select_related("user__institution", "user__enterprise", "user__agency")
    if request.method == "POST":
        registration = registrations.filter(
            pk=parse_int(request.POST.get("registration", ""), minimum=1, maximum=2**63 - 1)
        ).first()
        try:
            if registration is None:
                messages.error(request, _("This participant is not registered for the event."))
            elif request.POST.get("action") == "no-show":
                freed = services.record_no_show(registration=registration)
                messages.success(
                    request,
                    _("%(name)s marked absent: %(freed)s meetings freed.")
                    % {"name": label(registration), "freed": freed},
                )
            else:
                services.check_in(registration=registration)
                messages.success(request, _("%(name)s is checked in.") % {"name": label(registration)})
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return redirect(request.get_full_path())
    found, scanned, error = [], None, ""
    code = request.GET.get("code", "")
    if code:
        data = read_check_in_code(code) or {}
        try:
            # the code names one of this event's meetings and one of its two participants
            meetings = event.meetings.filter(pk=data.get("m"))
            scanned = registrations.filter(
                Q(pk__in=meetings.values("holder_id")) | Q(pk__in=meetings.values("enterprise_id")), pk=data.get("r")
            ).first()
        except (TypeError, ValueError):  # a signed code of another shape
            scanned = None
        if scanned is None:
            error = _("This code is not a participant's code for this event.")
    query = request.GET.get("q", "").replace("\x00", "").strip()[:100]
    if query:
        found = list(
            registrations.filter(
                Q(user__username__icontains=query)
                | Q(user__first_name__icontains=query)
                | Q(user__last_name__icontains=query)
                | Q(user__institution__name__icontains=query)
                | Q(user__enterprise__name__icontains=query)
            ).order_by("id")[:50]
        )
    return render(
        request,
        "organiser/check_in.html",
        {
            "event": event,
            "scanned": scanned,
            "error": error,
            "query": query,
            "found": [(r, label(r)) for r in found],
            "scanned_label": label(scanned) if scanned else "",
            "day": on_the_day_text(selectors.on_the_day(event)),
            "door_closed": services.door_closed_reason(event),
            "absence_closed": services.door_closed_reason(event, absence=True),
        },
    )


# The year's programme ------------------------------------------------------------------------------


def _managed_programme(request, pk):

    programme = get_object_or_404(selectors.programmes_visible_to(request.user), pk=pk)
    if not (request.user.is_platform_admin or programme.organiser_id == request.user.pk):
        raise PermissionDenied
    return programme


@login_required
def programme_list(request):
    if not selectors.is_organiser(request.user):
        raise PermissionDenied
    programmes = selectors.programmes_visible_to(request.user).order_by("-year", "name")
    return render(request, "organiser/programmes.html", {"programmes": programmes})


def _programme_form_page(request, programme=None):
    from django.contrib import messages
    from django.core.exceptions import ValidationError

    from core.forms import apply_service_errors

    from . import programmes
    from .forms import ProgrammeForm, ThemeFormSet

    form = ProgrammeForm(request.POST or None, instance=programme)
    initial = [
        {"field": t.field, "wanted_events": t.wanted_events, "expected_attendance": t.expected_attendance}
        for t in (programme.themes.select_related("field") if programme else [])
    ]
    themes = ThemeFormSet(request.POST or None, initial=initial, prefix="themes")
    theme_failures = []  # the service's errors about the themes as a whole
    if request.method == "POST" and form.is_valid() & themes.is_valid():
        fields = {name: form.cleaned_data[name] for name in ProgrammeForm.FIELDS}
        try:
            if programme is None:
                programme = programmes.create_programme(organiser=request.user, themes=themes.themes(), **fields)
            else:
                programmes.update_programme(programme=programme, actor=request.user, themes=themes.themes(), **fields)
            messages.success(request, _("Saved: %(title)s") % {"title": programme})
            return redirect("organiser-programme", pk=programme.pk)
        except ValidationError as error:
            errors = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
            theme_failures = errors.pop("themes", [])
            if errors:
                apply_service_errors(form, ValidationError(errors))
    return render(
        request,
        "organiser/programme_form.html",
        {"programme": programme, "form": form, "themes": themes, "theme_failures": theme_failures},
    )


@login_required
def programme_create(request):
    if not selectors.is_organiser(request.user):
        raise PermissionDenied
    return _programme_form_page(request)


@login_required
def programme_edit(request, pk):
    return _programme_form_page(request, _managed_programme(request, pk))


@login_required
def programme_page(request, pk, closed_day_form=None):
    """The year at a glance: each theme's wanted events against those planned (draft) and
    confirmed, month by month; the year's closed days; planning runs as a job, its advice shown here."""
    from collections import Counter

    from django.utils import timezone

    from core import jobs as core_jobs

    from . import closed_days
    from .forms import ClosedDayForm

    programme = _managed_programme(request, pk)
    events = list(programme.events.prefetch_related("fields").select_related("room__venue").order_by("starts_at"))
    months = [Counter() for _ in range(12)]
    for event in events:
        months[timezone.localtime(event.starts_at).month - 1][
            "draft" if event.status == "draft" else ("cancelled" if event.status == "cancelled" else "confirmed")
        ] += 1
    planned = Counter(f.pk for e in events if e.status != "cancelled" for f in e.fields.all())
    themes = [(t, planned.get(t.field_id, 0)) for t in programme.themes.select_related("field")]
    job = core_jobs.get(request.GET.get("job", ""), user=request.user) if request.GET.get("job") else None
    return render(
        request,
        "organiser/programme.html",
        {
            "closed_days": [
                (day, name, holiday, holiday is not None and closed_days.may_reopen(request.user, holiday))
                for day, (name, holiday) in closed_days.closed_days(programme.year).items()
            ],
            "holidays_estimated": closed_days.is_estimated(programme.year),
            "closed_day_form": closed_day_form or ClosedDayForm(year=programme.year),
            "programme": programme,
            "themes": themes,
            "themes_total": sum(t.wanted_events for t, _count in themes),
            "months": [(i + 1, m["draft"], m["confirmed"], m["cancelled"]) for i, m in enumerate(months)],
            "drafts": [e for e in events if e.status == "draft"],
            "job": job,
        },
    )


@login_required
@require_POST
def programme_close_day(request, pk):
    from django.contrib import messages
    from django.core.exceptions import ValidationError

    from core.forms import apply_service_errors

    from . import closed_days
    from .forms import ClosedDayForm

    programme = _managed_programme(request, pk)
    form = ClosedDayForm(request.POST, year=programme.year)
    if form.is_valid():
        try:
            holiday = closed_days.add_closed_day(
                actor=request.user, day=form.cleaned_data["date"], name=form.cleaned_data["name"]
            )
            messages.success(request, _("Closed: %(day)s %(name)s") % {"day": holiday.date, "name": holiday.name})
            own, others = closed_days.events_on(holiday.date, request.user)
            if own:
                messages.warning(
                    request,
                    ngettext(
                        "%(count)s of your events is still planned that day (%(titles)s): move or cancel it.",
                        "%(count)s of your events are still planned that day (%(titles)s): move or cancel them.",
                        len(own),
                    )
                    % {"count": len(own), "titles": "、".join(e.title for e in own)},
                )
            if others:
                messages.warning(
                    request,
                    ngettext(
                        "%(count)s event of other organisers is planned that day: tell them.",
                        "%(count)s events of other organisers are planned that day: tell them.",
                        others,
                    )
                    % {"count": others},
                )
            return redirect(reverse("organiser-programme", args=[programme.pk]) + "#closed-days")
        except ValidationError as error:
            apply_service_errors(form, error)
    return programme_page(request, pk, closed_day_form=form)


@login_required
@require_POST
def programme_reopen_day(request, pk, holiday_pk):
    from django.contrib import messages

    from . import closed_days
    from .models import PublicHoliday

    programme = _managed_programme(request, pk)
    holiday = get_object_or_404(PublicHoliday, pk=holiday_pk, date__year=programme.year)
    try:
        closed_days.reopen_day(actor=request.user, holiday=holiday)
    except PermissionDenied as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Open again: %(day)s") % {"day": holiday.date})
    return redirect(reverse("organiser-programme", args=[programme.pk]) + "#closed-days")


@login_required
@require_POST
def programme_plan(request, pk):
    from django.contrib import messages
    from django.core.exceptions import ValidationError
    from django.utils.translation import get_language

    programme = _managed_programme(request, pk)
    try:
        services.check_plan_inputs(programme)  # said at once, not after a queued job fails
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("organiser-programme", pk=programme.pk)
    job_id = jobs.start_plan(programme, actor=request.user, language=get_language())
    return redirect("job-page", job_id=job_id)


@login_required
@require_POST
def programme_accept(request, pk):
    from django.contrib import messages

    programme = _managed_programme(request, pk)
    accepted = services.accept_drafts(programme=programme)
    messages.success(request, _("%(count)s draft events are now open for registration.") % {"count": accepted})
    return redirect("organiser-programme", pk=programme.pk)


@login_required
def event_move(request, pk):
    from django.contrib import messages
    from django.core.exceptions import ValidationError

    from core.forms import apply_service_errors

    from .forms import MoveEventForm

    event = _managed_event(request, pk)
    form = MoveEventForm(request.POST or None, event=event)
    if request.method == "POST" and form.is_valid():
        try:
            moved = services.move_event(event=event, **form.cleaned_data)
            messages.success(request, _("Moved: %(title)s") % {"title": moved.title})
            return redirect("organiser-event", pk=event.pk)  # the event moved, where the organiser checks it
        except ValidationError as error:
            apply_service_errors(form, error)
    return render(request, "organiser/move_event.html", {"event": event, "form": form})


@login_required
def event_create(request):
    """An organiser makes one event by hand: a form, every error next to its field at once."""
    from django.contrib import messages
    from django.core.exceptions import ValidationError

    from core.forms import apply_service_errors

    from .forms import EventForm

    if not selectors.is_organiser(request.user):
        raise PermissionDenied
    form = EventForm(request.POST or None, organiser=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            event = services.create_event(organiser=request.user, **form.event_values())
        except ValidationError as error:
            apply_service_errors(form, _event_errors_on_form(error))
        else:
            messages.success(request, _("Event created: %(title)s") % {"title": event.title})
            return redirect("organiser-event", pk=event.pk)
    return render(request, "organiser/event_form.html", {"form": form})


@login_required
def event_edit(request, pk):
    """The organiser changes an event's title, programme, fields, places, tables, times or room:
    the same form and checks as a new event (services.update_event); once people have
    registered, the day and times stay (Move, or cancel)."""
    from django.contrib import messages
    from django.core.exceptions import ValidationError

    from core.forms import apply_service_errors

    from .forms import EventForm
    from .models import EventStatus

    event = _managed_event(request, pk)
    if event.status not in (EventStatus.DRAFT, EventStatus.OPEN):
        raise PermissionDenied(_("Only a draft or open event can be changed."))
    form = EventForm(request.POST or None, organiser=request.user, event=event, initial=EventForm.initial_for(event))
    if request.method == "POST" and form.is_valid():
        values = form.event_values()
        # ticking "open" opens a draft; an open event is not taken back to draft from here
        if event.status == EventStatus.OPEN:
            values.pop("status")
        if _same_day(values["registration_deadline"], event.registration_deadline):
            values.pop("registration_deadline")  # the form holds the day only: an untouched day keeps its hour
        changes = {name: value for name, value in values.items() if name == "fields" or value != getattr(event, name)}
        try:
            services.update_event(actor=request.user, event=event, changes=changes)
        except ValidationError as error:
            apply_service_errors(form, _event_errors_on_form(error))
        else:
            messages.success(request, _("Saved: %(title)s") % {"title": values["title"]})
            return redirect("organiser-event", pk=event.pk)
    return render(request, "organiser/event_form.html", {"form": form, "event": event})


@login_required
@require_POST
def event_cancel(request, pk):
    """The organiser cancels a draft or open event; its registrants are told (services.update_event)."""
    from django.contrib import messages
    from django.core.exceptions import ValidationError

    event = _managed_event(request, pk)
    try:
        services.update_event(actor=request.user, event=event, changes={"status": "cancelled"})
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Cancelled: %(title)s") % {"title": event.title})
    return redirect("organiser-event", pk=event.pk)


def _same_day(one, other) -> bool:
    if one is None or other is None:
        return one is other
    return timezone.localtime(one).date() == timezone.localtime(other).date()


def _event_errors_on_form(error):
    """The model's field names as the form calls them (its day and times)."""
    from django.core.exceptions import ValidationError

    if not hasattr(error, "error_dict"):
        return error
    names = {"starts_at": "starts", "ends_at": "ends"}
    return ValidationError({names.get(name, name): errors for name, errors in error.error_dict.items()})
