"""An event's clock: availability windows and breaks read against its day, and its meeting slots."""

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from core.validators import validate_multiline_text

from ..models import (
    MatchmakingEvent,
)


def _clock(event: MatchmakingEvent, text: str, what: str) -> datetime:
    try:
        hours, minutes = (int(part) for part in str(text).split(":"))
        local = timezone.localtime(event.starts_at)
        return local.replace(hour=hours, minute=minutes, second=0, microsecond=0)
    except (TypeError, ValueError):
        raise ValidationError({what: _("Times are written HH:MM, e.g. 14:30.")}) from None


def _windows(event: MatchmakingEvent, windows, what: str) -> list[tuple[datetime, datetime]]:
    result = []
    for window in windows or []:
        if not isinstance(window, (list, tuple)) or len(window) != 2:
            raise ValidationError({what: _("Each window is a pair [start, end].")})
        start, end = _clock(event, window[0], what), _clock(event, window[1], what)
        if end <= start:
            raise ValidationError({what: _("A window must end after it starts.")})
        if start < event.starts_at or end > event.ends_at:
            raise ValidationError(
                {
                    what: _("The window %(start)s-%(end)s lies outside the event.")
                    % {"start": window[0], "end": window[1]}
                }
            )
        result.append((start, end))
    result.sort()
    for (_start, first_end), (second_start, _end) in zip(result, result[1:], strict=False):
        if second_start < first_end:
            raise ValidationError({what: _("Windows overlap.")})
    return result


def _plain_text(value: str, field: str) -> None:
    """Messages and comments: line breaks yes, control characters and bidi overrides no."""
    try:
        validate_multiline_text(value)
    except ValidationError as error:
        raise ValidationError({field: error.messages}) from None


def _check_windows(event: MatchmakingEvent, availability) -> None:
    """Windows inside the event that hold at least one whole meeting slot."""
    windows = _windows(event, availability, "availability")
    if not windows:
        return
    length = timedelta(minutes=event.meeting_minutes)
    if not any(w0 <= start and start + length <= w1 for start in event_slots(event) for w0, w1 in windows):
        times = ", ".join(f"{timezone.localtime(t):%H:%M}" for t in event_slots(event))
        raise ValidationError(
            {
                "availability": _(
                    "Your windows hold no whole meeting of %(minutes)s minutes (breaks excluded); meetings start "
                    "at %(times)s."
                )
                % {"minutes": event.meeting_minutes, "times": times}
            }
        )


def event_slots(event: MatchmakingEvent) -> list[datetime]:
    """Slot start times: the event cut into meetings of `meeting_minutes`, skipping breaks."""
    breaks = _windows(event, event.breaks, "breaks")
    length = timedelta(minutes=event.meeting_minutes)
    slots, start = [], event.starts_at
    while start + length <= event.ends_at:
        end = start + length
        overlapping = next(((b0, b1) for b0, b1 in breaks if start < b1 and b0 < end), None)
        if overlapping:
            start = overlapping[1]
            continue
        slots.append(start)
        start = end
    if not slots:
        raise ValidationError({"meeting_minutes": _("No meeting fits in the event's time.")})
    return slots
