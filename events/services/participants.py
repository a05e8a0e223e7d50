"""Registering for an event, changing one's registration, and what one brings."""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import (
    EventStatus,
    MatchmakingEvent,
    Meeting,
    MeetingStatus,
    Registration,
    Side,
)
from .timing import _check_windows, _windows

SIDE_OF_ROLE = {"institution": Side.HOLDER, "enterprise": Side.ENTERPRISE, "broker": Side.BROKER}


@transaction.atomic
def register(
    *, event: MatchmakingEvent, user, availability=(), max_meetings: int = 6, achievements=(), needs=()
) -> Registration:
    # Lock the event so that registrations are counted one after the other: two people taking the
    # last place at once give one registration and one "The event is full."
    event = MatchmakingEvent.objects.select_for_update().get(pk=event.pk)
    if event.status != EventStatus.OPEN:
        raise ValidationError({"event": _("This event is not open for registration.")})
    if (
        event.registration_deadline and timezone.now() > event.registration_deadline
    ) or timezone.now() >= event.ends_at:
        raise ValidationError({"event": _("Registration for this event has closed.")})
    side = SIDE_OF_ROLE.get(user.role)
    if side is None:
        raise ValidationError({"event": _("Only achievement holders, enterprises and brokers take part.")})
    if event.registrations.count() >= event.capacity:
        raise ValidationError({"event": _("The event is full.")})
    _check_windows(event, availability)
    registration = Registration(
        event=event, user=user, side=side, availability=list(availability), max_meetings=max_meetings
    )
    registration.full_clean(validate_unique=False, validate_constraints=False)
    brought = _brought(registration, achievements, needs)
    if event.registrations.filter(user=user).exists():
        raise ValidationError({"event": _("You are already registered for this event.")})
    registration.save()
    registration.achievements.set(brought[0])
    registration.needs.set(brought[1])
    return registration


def meetings_outside_windows(registration: Registration) -> list[Meeting]:
    """The participant's scheduled meetings its current windows no longer hold."""
    meetings = Meeting.objects.filter(
        Q(holder=registration) | Q(enterprise=registration), status=MeetingStatus.SCHEDULED
    ).order_by("starts_at")
    return [m for m in meetings if not _in_windows(registration.event, registration, m)]


def event_meetings_outside_windows(event: MatchmakingEvent, meetings, registrations: dict) -> list[tuple]:
    """(meeting, participant) for each scheduled meeting a participant's windows no longer hold
    (they changed them after scheduling): the organiser's next scheduling run moves them."""
    outside = []
    for meeting in meetings:
        if meeting.status != MeetingStatus.SCHEDULED:
            continue
        for registration_id in (meeting.holder_id, meeting.enterprise_id):
            registration = registrations.get(registration_id)
            if registration is not None and not _in_windows(event, registration, meeting):
                outside.append((meeting, registration))
    return outside


def _in_windows(event: MatchmakingEvent, registration: Registration, meeting: Meeting) -> bool:
    try:
        windows = _windows(event, registration.availability, "availability")
    except ValidationError:  # stored windows the event's times no longer hold: none of them fits
        return False
    length = timedelta(minutes=event.meeting_minutes)
    return not windows or any(w0 <= meeting.starts_at and meeting.starts_at + length <= w1 for w0, w1 in windows)


@transaction.atomic
def update_registration(
    *, registration: Registration, user, availability=(), max_meetings: int = 6, achievements=(), needs=()
) -> Registration:
    """The participant changes its windows, meeting limit or what it brings (until the event starts)."""
    locked = Registration.objects.select_for_update().select_related("event").get(pk=registration.pk)
    if locked.user_id != user.pk:
        raise ValidationError({"registration": _("Only the participant changes its registration.")})
    if locked.event.status not in (EventStatus.OPEN, EventStatus.CLOSED) or timezone.now() >= locked.event.starts_at:
        raise ValidationError({"registration": _("This event has begun: the registration can no longer change.")})
    _check_windows(locked.event, availability)
    locked.availability, locked.max_meetings = list(availability), max_meetings
    locked.full_clean(validate_unique=False, validate_constraints=False)
    brought = _brought(locked, achievements, needs)
    locked.save(update_fields=["availability", "max_meetings"])
    locked.achievements.set(brought[0])
    locked.needs.set(brought[1])
    return locked


def _brought(registration: Registration, achievements, needs) -> tuple[list, list]:
    """What a participant may bring: its own organisation's published achievements (holders) or
    needs (enterprises), nothing else."""
    from achievements.models import Achievement, AchievementStatus
    from enterprises.models import NeedStatus, TechnologyNeed

    user = registration.user
    achievement_ids, need_ids = {int(a) for a in achievements}, {int(n) for n in needs}
    if achievement_ids and registration.side != Side.HOLDER:
        raise ValidationError({"achievements": _("Only achievement holders bring achievements.")})
    if need_ids and registration.side != Side.ENTERPRISE:
        raise ValidationError({"needs": _("Only enterprises bring needs.")})
    own_achievements = list(
        Achievement.objects.filter(
            pk__in=achievement_ids, institution_id=user.institution_id, status=AchievementStatus.PUBLISHED
        )
    )
    if len(own_achievements) != len(achievement_ids):
        raise ValidationError({"achievements": _("Choose among your institution's published achievements.")})
    own_needs = list(
        TechnologyNeed.objects.filter(pk__in=need_ids, enterprise_id=user.enterprise_id, status=NeedStatus.PUBLISHED)
    )
    if len(own_needs) != len(need_ids):
        raise ValidationError({"needs": _("Choose among your enterprise's published needs.")})
    return own_achievements, own_needs


@transaction.atomic
def confirm_attendance(*, registration: Registration) -> Registration:
    registration.attendance_confirmed = True
    registration.save(update_fields=["attendance_confirmed"])
    return registration
