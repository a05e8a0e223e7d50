"""Organiser pages: an event with its registrations, requests, the scheduler and the grid."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from . import jobs, selectors, services
from .agendas import grid_cells


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
