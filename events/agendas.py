"""Agendas: an iCalendar file per participant and the event's slots x tables grid."""

from datetime import UTC, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from core.spreadsheets import write_xlsx

from .models import MeetingStatus


def _ics_text(value: str) -> str:
    return str(value).replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _ics_time(moment) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def participant_ics(event, registration, meetings, partner_label) -> str:
    """One VEVENT per meeting, with the table, the partner and what they bring."""
    length = timedelta(minutes=event.meeting_minutes)
    now = timezone.now()
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//TechBridge//Matchmaking//ZH",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
    ]
    location = str(event.room) if event.room_id else (_("Online") if event.online else "")
    table = _("Table %(table)s")
    for meeting in meetings:
        partner = meeting.enterprise if meeting.holder_id == registration.pk else meeting.holder
        at_table = table % {"table": meeting.table}
        lines += [
            "BEGIN:VEVENT",
            f"UID:techbridge-meeting-{meeting.pk}@techbridge",
            f"DTSTAMP:{_ics_time(now)}",
            f"DTSTART:{_ics_time(meeting.starts_at)}",
            f"DTEND:{_ics_time(meeting.starts_at + length)}",
            f"SUMMARY:{_ics_text(' · '.join((event.title, at_table, partner_label(partner))))}",
            f"LOCATION:{_ics_text(f'{location} {at_table}'.strip())}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "\r\n".join(_folded(line) for line in lines) + "\r\n"


def _folded(line: str, limit: int = 75) -> str:
    """RFC 5545 line folding: at most 75 octets a line, continued after CRLF and a space, never
    inside a UTF-8 character."""
    parts, current, size = [], "", 0
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            parts.append(current)
            current, size = " ", 1
        current += char
        size += width
    parts.append(current)
    return "\r\n".join(parts)


def tables_in_use(meetings) -> list[int]:
    return sorted({m.table for m in meetings})


def grid_cells(event, slots, meetings, label) -> list[tuple]:
    """(slot start, [cell per table in use]) rows; each cell names the two parties meeting there.
    Tables nobody sits at are left out (an event has 40, a small one uses 7)."""
    meetings = list(meetings)
    held = f" ({MeetingStatus.HELD.label})"
    cells = {
        (m.slot, m.table): f"{label(m.holder)} × {label(m.enterprise)}{held if m.status == MeetingStatus.HELD else ''}"
        for m in meetings
    }
    tables = tables_in_use(meetings)
    return [(start, [cells.get((i, t), "") for t in tables]) for i, start in enumerate(slots)]


def slot_lists(slots, meetings, label) -> list[dict]:
    """The same meetings slot by slot: {"start", "meetings": [(table, holder, enterprise)]}, for
    the phone view and the A4 printout."""
    by_slot: dict[int, list] = {}
    for m in sorted(meetings, key=lambda m: (m.slot, m.table)):
        by_slot.setdefault(m.slot, []).append((m.table, label(m.holder), label(m.enterprise)))
    return [{"start": start, "meetings": by_slot.get(i, [])} for i, start in enumerate(slots) if by_slot.get(i)]


def grid_xlsx(event, slots, meetings, label) -> bytes:
    meetings = list(meetings)
    headers = ["时间 Time"] + [f"第{t}桌 Table {t}" for t in tables_in_use(meetings)]
    rows = [
        [timezone.localtime(start).strftime("%H:%M"), *cells]
        for start, cells in grid_cells(event, slots, meetings, label)
    ]
    return write_xlsx(headers, rows, title="grid")
