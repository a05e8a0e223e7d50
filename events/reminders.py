"""Reminders and follow-ups, sent by Celery beat, each once per participant, in their language."""

from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

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


def _message(kind: str, event: MatchmakingEvent) -> tuple[str, str]:
    start = timezone.localtime(event.starts_at).strftime("%Y-%m-%d %H:%M")
    texts = {
        NotificationKind.REGISTRATION_CLOSING: (
            _("Registration closes soon: %(title)s"),
            _(
                "Registration for %(title)s closes within a day. Confirm your "
                "attendance and send your meeting requests."
            ),
        ),
        NotificationKind.AGENDA: (
            _("Your meeting agenda: %(title)s"),
            _(
                "Your 1:1 meetings at %(title)s (starting %(start)s) are scheduled. Download "
                "your agenda from the event page."
            ),
        ),
        NotificationKind.DAY_BEFORE: (
            _("Tomorrow: %(title)s"),
            _("%(title)s starts at %(start)s. Please check in at the desk on arrival."),
        ),
        NotificationKind.FEEDBACK: (
            _("How were your meetings at %(title)s?"),
            _("Please rate your meetings at %(title)s and tell us whether they lead to a follow-up."),
        ),
        NotificationKind.FOLLOW_UP: (
            _("A few months after %(title)s"),
            _(
                "Did your meetings at %(title)s lead to a contract or a continuing "
                "contact? Please answer the short survey on the event page."
            ),
        ),
    }
    subject, body = texts[kind]
    params = {"title": event.title, "start": start}
    return subject % params, body % params


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
                    user = registration.user
                    if user.email:
                        with translation.override(user.language or settings.LANGUAGE_CODE):
                            subject, body = _message(kind, registration.event)
                        send_mail(subject, body, None, [user.email])
            except IntegrityError:
                continue  # already sent
            sent += 1
    return sent
