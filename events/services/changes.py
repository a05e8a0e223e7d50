"""Creating one event by hand and changing it."""

from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import (
    EventStatus,
    MatchmakingEvent,
    RoomClosure,
)
from .timing import event_slots

# What people who registered planned their day by: changed only by moving the event (or not at all)
TIMING = ("starts_at", "ends_at", "room", "meeting_minutes", "breaks", "tables")


MAX_EVENT_DAYS = 7


def _check_event_times(event: MatchmakingEvent) -> None:
    errors = {}
    for name in ("starts_at", "ends_at", "registration_deadline"):
        value = getattr(event, name)
        if value is not None and not 2000 <= value.year <= 2100:
            errors[name] = _("Give a date between 2000 and 2100.")
    if not errors and event.starts_at and event.ends_at:
        if event.ends_at <= event.starts_at:
            errors["ends_at"] = _("The event must end after it starts.")
        elif event.ends_at - event.starts_at > timedelta(days=MAX_EVENT_DAYS):
            errors["ends_at"] = _("An event lasts at most %(days)d days.") % {"days": MAX_EVENT_DAYS}
    if not errors and event.registration_deadline and event.registration_deadline > event.starts_at:
        errors["registration_deadline"] = _("Registration must close before the event starts.")
    if errors:
        raise ValidationError(errors)


def _check_place(event: MatchmakingEvent, *, errors: dict) -> None:
    """The room (locked, so two bookings of it at once are checked in turn): open on every day the
    event spans, large enough, with enough tables, and not booked by another event then."""
    from ..models import Room

    if not event.room_id:  # the API may make one before its room is booked (the web form asks for one)
        return
    room = Room.objects.select_for_update().get(pk=event.room_id)
    first, last = timezone.localtime(event.starts_at).date(), timezone.localtime(event.ends_at).date()
    if RoomClosure.objects.filter(room=room, date__range=(first, last)).exists():
        errors["room"] = _("The room is closed that day.")
    if event.capacity > room.capacity:
        errors["capacity"] = _("The room holds %(capacity)d people.") % {"capacity": room.capacity}
    if event.tables > room.tables:
        errors["tables"] = _("The room has %(tables)d meeting tables.") % {"tables": room.tables}
    clash = (
        MatchmakingEvent.objects.filter(room=room, starts_at__lt=event.ends_at, ends_at__gt=event.starts_at)
        .exclude(status=EventStatus.CANCELLED)
        .exclude(pk=event.pk)
        .first()
    )
    if clash is not None and "room" not in errors:
        errors["room"] = _("The room is booked then: %(title)s.") % {"title": clash.title}


def _check_event(event: MatchmakingEvent, *, new_time: bool) -> None:
    """Every check of an event made or changed by hand, all errors at once."""
    try:
        _check_event_times(event)
        errors = {}
    except ValidationError as error:
        errors = dict(error.message_dict)
    if new_time and event.starts_at and event.starts_at <= timezone.now() and "starts_at" not in errors:
        errors["starts_at"] = _("Choose a day after today.")
    if event.starts_at and event.ends_at and not errors.get("ends_at"):
        _check_place(event, errors=errors)
    if errors:
        raise ValidationError(errors)


def _check_programme(organiser, programme) -> None:
    from ..selectors import programmes_visible_to

    if programme is not None and not programmes_visible_to(organiser).filter(pk=programme.pk).exists():
        raise ValidationError({"programme": _("Choose one of your own programmes.")})


@transaction.atomic
def create_event(*, organiser, fields=(), **values) -> MatchmakingEvent:
    """One event outside the planner (the API's POST and the organiser's web form): its programme
    must be the organiser's own, and its times give at least one meeting slot."""
    from ..selectors import is_organiser

    if not is_organiser(organiser):
        raise PermissionDenied(_("Only organisers create events."))
    _check_programme(organiser, values.get("programme"))
    if values.get("status", EventStatus.DRAFT) not in (EventStatus.DRAFT, EventStatus.OPEN):
        raise ValidationError({"status": _("A new event is a draft or open for registration.")})
    event = MatchmakingEvent(organiser=organiser, **values)
    event.full_clean()
    _check_event(event, new_time=True)
    event_slots(event)  # bad breaks or a too-short event get a clear error now
    event.save()
    event.fields.set(fields)
    return event


# the statuses an event may be set to from each, by its organiser (held only once it has ended;
# back to draft only while nobody has registered; held and cancelled events are not changed)
NEXT_STATUSES = {
    EventStatus.DRAFT: {EventStatus.DRAFT, EventStatus.OPEN, EventStatus.CANCELLED},
    EventStatus.OPEN: {
        EventStatus.OPEN,
        EventStatus.DRAFT,
        EventStatus.CLOSED,
        EventStatus.CANCELLED,
        EventStatus.HELD,
    },
    EventStatus.CLOSED: {EventStatus.CLOSED, EventStatus.OPEN, EventStatus.CANCELLED, EventStatus.HELD},
}


@transaction.atomic
def update_event(*, actor, event: MatchmakingEvent, changes: dict) -> MatchmakingEvent:
    """The organiser changes an event (the API's PATCH, the web's change page). Once people have
    registered, its day, times, room and tables stay as they planned by (the web's Move has the
    checks for a draft), it does not go back to draft, and its places do not drop below them;
    cancelling it tells them."""
    locked = MatchmakingEvent.objects.select_for_update().get(pk=event.pk)
    if locked.status not in NEXT_STATUSES:
        raise ValidationError({"status": _("A held or cancelled event is not changed any more.")})
    if "programme" in changes:
        _check_programme(locked.organiser, changes["programme"])  # the event's organiser's own programmes
    registered = locked.registrations.count()
    status = changes.get("status", locked.status)
    if status not in NEXT_STATUSES[locked.status]:
        raise ValidationError(
            {
                "status": _("An event that is “%(now)s” cannot be set to “%(then)s”.")
                % {"now": locked.get_status_display(), "then": EventStatus(status).label}
            }
        )
    if status == EventStatus.DRAFT and locked.status != EventStatus.DRAFT and registered:
        raise ValidationError({"status": _("People have registered: the event cannot go back to draft.")})
    changed = [name for name in TIMING if name in changes and changes[name] != getattr(locked, name)]
    if changed and registered:
        raise ValidationError(
            {
                name: _("People have registered and planned by this: it stays (cancel the event to change it).")
                for name in changed
            }
        )
    if "capacity" in changes and changes["capacity"] is not None and changes["capacity"] < registered:
        raise ValidationError(
            {"capacity": _("%(count)s people have registered: the places cannot be fewer.") % {"count": registered}}
        )
    if status == EventStatus.HELD and locked.ends_at > timezone.now():
        raise ValidationError({"status": _("An event is held once it has ended.")})
    cancelled = status == EventStatus.CANCELLED and locked.status != EventStatus.CANCELLED
    for name, value in changes.items():
        if name != "fields":
            setattr(locked, name, value)
    locked.full_clean()
    placed = {"starts_at", "ends_at", "room", "capacity", "tables", "registration_deadline", "online"}
    if placed & set(changes):
        _check_event(locked, new_time="starts_at" in changed or "ends_at" in changed)
    event_slots(locked)
    locked.save()
    if "fields" in changes:
        locked.fields.set(changes["fields"])
    if cancelled and registered:
        _tell_registrants_cancelled(locked)
    return locked


def _tell_registrants_cancelled(event: MatchmakingEvent) -> None:
    from django.urls import reverse
    from django.utils.translation import gettext_noop

    from notifications.kinds import Kind
    from notifications.services import notify

    notify(
        [r.user for r in event.registrations.select_related("user")],
        kind=Kind.EVENT_REMINDER,
        subject=gettext_noop("Cancelled: %(title)s"),
        body=gettext_noop("The event “%(title)s” on %(day)s is cancelled; its meetings will not take place."),
        url=reverse("web-event-detail", args=[event.pk]),
        title=event.title,
        day=timezone.localtime(event.starts_at).date().isoformat(),
    )
