"""Printable pages of an event, shared by the API and the organiser's pages: the meeting grid as
A4 slot lists, and every participant's agenda in one zip."""

import io
import re
import zipfile

from django.template.loader import render_to_string
from django.utils import timezone, translation

from . import participation, services
from .agendas import participant_ics, slot_lists
from .door_codes import check_in_url, qr_svg
from .models import MeetingStatus


def _scheduled(event):
    return event.meetings.filter(status=MeetingStatus.SCHEDULED).select_related(
        "holder__user__institution",
        "holder__user__enterprise",
        "holder__user__agency",
        "enterprise__user__institution",
        "enterprise__user__enterprise",
        "enterprise__user__agency",
    )


def grid_print_html(event, request) -> str:
    """Slot by slot, table by table, two columns on A4 portrait: it fits the page at any number
    of tables (the old slots x tables table was 40 columns wide)."""
    slots = slot_lists(services.event_slots(event), _scheduled(event), participation.party)
    return render_to_string("events/grid.html", {"event": event, "slots": slots}, request=request)


def agendas_zip(event, request) -> bytes:
    """One printable agenda (HTML) and one .ics per participant with meetings, in a zip."""
    registrations = list(
        event.registrations.select_related("user__institution", "user__enterprise", "user__agency").order_by("id")
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for registration in registrations:
            # each agenda shows what its own participant may see (it is printed and handed to them),
            # not what the organiser downloading it may: a few queries per participant
            rows = participation.agenda(event, registration, registration.user)
            with translation.override(registration.user.language or translation.get_language()):
                _write_agenda(archive, event, registration, rows, request)
        archive.writestr(
            "README.txt",
            f"{event.title}\n{timezone.localtime(event.starts_at):%Y-%m-%d %H:%M}\n"
            "每位参会者一份议程（.html 可打印）和日历文件（.ics）。\n"
            "One printable agenda (.html) and one calendar file (.ics) per participant.\n",
        )
    return buffer.getvalue()


def _write_agenda(archive, event, registration, rows, request) -> None:
    rows = [r for r in rows if r["meeting"].status == MeetingStatus.SCHEDULED]
    if not rows:
        return
    name = _file_name(f"{registration.pk:04d}-{participation.party(registration)}")
    archive.writestr(f"{name}.html", agenda_html(event, registration, rows, request, viewer=registration.user))
    archive.writestr(
        f"{name}.ics", participant_ics(event, registration, [r["meeting"] for r in rows], participation.label)
    )


def agenda_html(event, registration, rows, request, *, viewer) -> str:
    """One participant's printable agenda (the zip's and the API's): per meeting the time, table,
    partner and what the partner brings, or, when it chose nothing, the best match between the two
    organisations that `viewer` may see."""
    for row in rows:  # both sides already read: no query per meeting below
        meeting, partner = row["meeting"], row["partner"]
        meeting.holder, meeting.enterprise = (
            (registration, partner) if meeting.holder_id == registration.pk else (partner, registration)
        )
    unsaid = [r["meeting"] for r in rows if not r["brings"]]
    matched = services.what_they_bring(unsaid, viewer=viewer) if unsaid else {}
    printed = []
    for r in rows:
        meeting = r["meeting"]
        offer = "；".join(record.title for record in r["brings"])
        if not offer and meeting.pk in matched:
            offer = matched[meeting.pk]["need" if meeting.holder_id == registration.pk else "achievement"]
        printed.append(
            {
                "start": meeting.starts_at,
                "table": meeting.table,
                "partner": participation.party(r["partner"]),
                "offer": offer,
                # scanned at the door from the paper too: it opens check-in for this participant
                "qr": qr_svg(check_in_url(request, event, meeting, registration)) if request is not None else "",
            }
        )
    return render_to_string(
        "events/agenda.html",
        {"event": event, "participant": participation.label(registration), "rows": printed},
        request=request,
    )


_UNSAFE_IN_FILE_NAMES = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*\u202a-\u202e\u2066-\u2069]')


def _file_name(text: str) -> str:
    """A zip entry name every system extracts as one plain file (no separators, no characters
    Windows refuses, no bidi overrides)."""
    return _UNSAFE_IN_FILE_NAMES.sub("_", text).strip(" .")[:80] or "agenda"
