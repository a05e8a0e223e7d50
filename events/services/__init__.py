"""Writes of the events app, by sub-domain; `from events import services` reads them all."""

from .after import answer_survey, cancel_meeting, invite_suggestions, rate_meeting, what_they_bring
from .changes import MAX_EVENT_DAYS, TIMING, create_event, update_event
from .door import check_in, door_closed_reason, fill_freed_slots, record_no_show
from .participants import (
    SIDE_OF_ROLE,
    confirm_attendance,
    event_meetings_outside_windows,
    meetings_outside_windows,
    register,
    update_registration,
)
from .requests import answer_request, recommend_pair, request_meeting
from .schedule import NO_SHOW_FACTOR, REQUEST_WEIGHTS, ScheduleSummary, build_problem, schedule_event
from .timing import event_slots
from .year import DAY_START, SESSION_HOURS, PlanSummary, accept_drafts, check_plan_inputs, move_event, plan_programme

__all__ = [
    "DAY_START",
    "MAX_EVENT_DAYS",
    "NO_SHOW_FACTOR",
    "PlanSummary",
    "REQUEST_WEIGHTS",
    "SESSION_HOURS",
    "SIDE_OF_ROLE",
    "ScheduleSummary",
    "TIMING",
    "accept_drafts",
    "answer_request",
    "answer_survey",
    "build_problem",
    "cancel_meeting",
    "check_in",
    "confirm_attendance",
    "create_event",
    "door_closed_reason",
    "event_meetings_outside_windows",
    "event_slots",
    "fill_freed_slots",
    "invite_suggestions",
    "meetings_outside_windows",
    "move_event",
    "check_plan_inputs",
    "plan_programme",
    "rate_meeting",
    "recommend_pair",
    "record_no_show",
    "register",
    "request_meeting",
    "schedule_event",
    "update_event",
    "update_registration",
    "what_they_bring",
]
