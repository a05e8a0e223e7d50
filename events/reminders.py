"""Reminders and follow-ups, sent by Celery beat, each once per participant, in their language."""

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_noop

from notifications.kinds import Kind
from notifications.services import notify

from .models import EventStatus, FollowUpSurvey, MatchmakingEvent, Notification, NotificationKind, Registration

FOLLOW_UP_AFTER = timedelta(days=90)


def _due(now):
    """(kind, registrations) pairs whose moment has come."""
    yield (
        NotificationKind.REGISTRATION_CLOSING,
        Registration.objects.filter(
            event__status=EventStatus.OPEN,
            attendance_confirmed=False,
            event__registration_deadline__gt=now,
            event__registration_deadline__lte=now + timedelta(days=1),
        ),
    )
    yield (
        NotificationKind.AGENDA,
        Registration.objects.filter(
            event__status__in=[EventStatus.OPEN, EventStatus.CLOSED],
            event__starts_at__gt=now,
            event__starts_at__lte=now + timedelta(days=3),
            event__meetings__isnull=False,
        ).distinct(),
    )
    yield (
        NotificationKind.DAY_BEFORE,
        Registration.objects.filter(
            event__status__in=[EventStatus.OPEN, EventStatus.CLOSED],
            event__starts_at__gt=now,
            event__starts_at__lte=now + timedelta(days=1),
        ),
    )
    yield (
        NotificationKind.FEEDBACK,
        Registration.objects.filter(
            event__ends_at__lte=now, event__ends_at__gt=now - timedelta(days=7), no_show=False
        ).exclude(event__status=EventStatus.CANCELLED),
    )
    yield (
        NotificationKind.FOLLOW_UP,
        Registration.objects.filter(
            event__ends_at__lte=now - FOLLOW_UP_AFTER,
            event__ends_at__gt=now - FOLLOW_UP_AFTER - timedelta(days=7),
            no_show=False,
        ).exclude(event__status=EventStatus.CANCELLED),
    )


def _message(kind: str, event: MatchmakingEvent) -> tuple[str, str, str]:
    """(subject, body, the page it is about) as untranslated sources: each reader gets them in
    their own language."""
    texts = {
        NotificationKind.REGISTRATION_CLOSING: (
            gettext_noop("Registration closes soon: %(title)s"),
            gettext_noop(
                "Registration for %(title)s closes within a day. Confirm your "
                "attendance and send your meeting requests."
            ),
            "web-event-detail",
        ),
        NotificationKind.AGENDA: (
            gettext_noop("Your meeting agenda: %(title)s"),
            gettext_noop(
                "Your 1:1 meetings at %(title)s (starting %(start)s) are scheduled. Download "
                "your agenda from the event page."
            ),
            "web-event-agenda",
        ),
        NotificationKind.DAY_BEFORE: (
            gettext_noop("Tomorrow: %(title)s"),
            gettext_noop("%(title)s starts at %(start)s. Please check in at the desk on arrival."),
            "web-event-agenda",
        ),
        NotificationKind.FEEDBACK: (
            gettext_noop("How were your meetings at %(title)s?"),
            gettext_noop("Please rate your meetings at %(title)s and tell us whether they lead to a follow-up."),
            "web-event-agenda",
        ),
        NotificationKind.FOLLOW_UP: (
            gettext_noop("A few months after %(title)s"),
            gettext_noop(
                "Did your meetings at %(title)s lead to a contract or a continuing "
                "contact? Please answer the short survey on the event page."
            ),
            "web-event-survey",
        ),
    }
    subject, body, page = texts[kind]
    return subject, body, reverse(page, args=[event.pk])


def expire_requests(now) -> int:
    """Meeting requests nobody answered before the event began expire."""
    from .models import MeetingRequest, RequestStatus

    return MeetingRequest.objects.filter(status=RequestStatus.PENDING, event__starts_at__lte=now).update(
        status=RequestStatus.EXPIRED
    )


def send_due_reminders(now=None) -> int:
    """Send every reminder that is due and not sent yet; safe to run as often as wanted."""
    now = now or timezone.now()
    expire_requests(now)
    sent = 0
    for kind, registrations in _due(now):
        for registration in registrations.select_related("user", "event"):
            try:
                with transaction.atomic():
                    Notification.objects.create(registration=registration, kind=kind)
                    if kind == NotificationKind.FOLLOW_UP:
                        FollowUpSurvey.objects.get_or_create(registration=registration)
                    subject, body, url = _message(kind, registration.event)
                    start = timezone.localtime(registration.event.starts_at).strftime("%Y-%m-%d %H:%M")
                    notify(
                        [registration.user],
                        kind=Kind.EVENT_REMINDER,
                        subject=subject,
                        body=body,
                        url=url,
                        title=registration.event.title,
                        start=start,
                    )
            except IntegrityError:
                continue  # already sent
            sent += 1
    return sent
