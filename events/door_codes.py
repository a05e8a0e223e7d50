"""The code on each meeting of a participant's agenda (on the phone and on paper): signed, it
names one meeting and one of its two participants, and as a QR code it opens the organiser's
check-in page for them."""

from django.core import signing
from django.urls import reverse

CHECK_IN_SALT = "events.meeting-check-in"
MAX_AGE = 60 * 60 * 24 * 366


def check_in_code(meeting, registration) -> str:
    return signing.dumps({"m": meeting.pk, "r": registration.pk}, salt=CHECK_IN_SALT, compress=True)


def read_check_in_code(code: str) -> dict | None:
    """{"m": meeting id, "r": registration id}, or None for a code that was not signed here."""
    try:
        data = signing.loads(code, salt=CHECK_IN_SALT, max_age=MAX_AGE)
    except (signing.BadSignature, TypeError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def check_in_url(request, event, meeting, registration) -> str:
    return request.build_absolute_uri(
        reverse("organiser-check-in", args=[event.pk]) + "?code=" + check_in_code(meeting, registration)
    )


def qr_code(text: str):
    """The QR code of `text`. One fixed mask: choosing the best of the eight took three quarters of
    the time of every agenda zip (62 codes for 31 people), and scanners read any mask
    (tests/events/test_door_codes_scan.py decodes them)."""
    import segno

    return segno.make(text, error="m", mask=0)


def qr_svg(text: str) -> str:
    # no width or height but a viewBox: the stylesheet sizes it and the whole code scales with it
    return qr_code(text).svg_inline(scale=3, dark="#16202a", omitsize=True)
