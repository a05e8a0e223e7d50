"""Organiser pages: an event with its registrations, requests, the scheduler and the grid."""

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.ids import parse_int
from core.validators import EARLIEST_DATE, LATEST_DATE

from . import jobs, selectors, services
from .agendas import grid_cells
from .models import MatchmakingEvent


def _managed_event(request, pk):
    event = get_object_or_404(selectors.events_visible_to(request.user), pk=pk)
    if not selectors.can_manage_event(request.user, event):
        raise PermissionDenied
    return event


@login_required
def event_page(request, pk):
    event = _managed_event(request, pk)
    meetings = event.meetings.filter(status="scheduled").select_related(
        "holder__user__institution", "enterprise__user__enterprise"
    )

    def label(registration):
        user = registration.user
        return f"{user.institution or user.enterprise or ''} {user.username}".strip()

    return render(
        request,
        "organiser/event.html",
        {
            "event": event,
            "registrations": event.registrations.select_related("user__institution", "user__enterprise").order_by(
                "side", "id"
            ),
            "requests": event.requests.select_related("sender__user", "receiver__user").order_by("-created_at")[:200],
            "grid": grid_cells(event, services.event_slots(event), meetings, label),
            "tables": range(1, event.tables + 1),
            "job": jobs.job_state(event.pk),
        },
    )


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
