"""Telling users: an in-app notification and, where the user wants it, an e-mail, both in the
reader's language and both only once the transaction commits (a rolled-back action tells nobody)."""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.notify import email_users

from .kinds import NOT_EMAILED_BY_DEFAULT, Kind, kinds_for
from .models import Notification, NotificationSetting

EMAIL_ONLY_REPEAT = timedelta(days=7)


def _plain(value):
    """Parameters are stored as JSON: numbers and text as they are, anything else as text."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def choices_for(users, kind: str) -> dict[int, tuple[bool, bool]]:
    """(web, email) per user id for one kind, the defaults where the user chose nothing."""
    default = (True, kind not in NOT_EMAILED_BY_DEFAULT)
    chosen = {
        row.user_id: (row.web, row.email)
        for row in NotificationSetting.objects.filter(user__in=[u.pk for u in users], kind=kind)
    }
    return {u.pk: chosen.get(u.pk, default) for u in users}


def notify(users, *, kind: str, subject: str, body="", url: str = "", once_unread: bool = False, **params) -> int:
    """`subject` and `body` are untranslated sources (gettext_noop; a body with a plural form:
    core.notify.ngettext_noop, counted by the `count` parameter) with %(name)s placeholders,
    so each reader gets them in their own language. `once_unread`: a user who has not yet read
    the same kind of news about the same page is not told again (re-ranking a need every night
    must not pile up). Returns how many notifications were stored."""
    if kind not in Kind.values:
        raise ValueError(f"unknown notification kind {kind!r}")
    recipients = list({u.pk: u for u in users if u is not None and u.is_active}.values())
    if once_unread and recipients:
        # told already: it is unread on the site, or (e-mail only, never "read") sent this week
        told = set(
            Notification.objects.filter(user__in=[u.pk for u in recipients], kind=kind, url=url)
            .filter(
                Q(on_site=True, read_at__isnull=True)
                | Q(on_site=False, created_at__gte=timezone.now() - EMAIL_ONLY_REPEAT)
            )
            .values_list("user_id", flat=True)
        )
        recipients = [u for u in recipients if u.pk not in told]
    if not recipients:
        return 0
    params = {key: _plain(value) for key, value in params.items()}
    choices = choices_for(recipients, kind)
    body, body_plural = body if isinstance(body, (list, tuple)) else (body, "")
    Notification.objects.bulk_create(
        Notification(
            user=u,
            kind=kind,
            subject=subject,
            body=body,
            body_plural=body_plural,
            params=params,
            url=url,
            on_site=choices[u.pk][0],
        )
        for u in recipients
        if any(choices[u.pk])
    )
    email_users(
        [u for u in recipients if choices[u.pk][1]],
        subject,
        (body, body_plural) if body_plural else body,
        url=url,
        **params,
    )
    return sum(1 for u in recipients if choices[u.pk][0])


def mark_read(*, user, notification_ids=None) -> int:
    """Marks the user's own notifications read (all unread ones without ids); another user's are
    never touched."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True, on_site=True)
    if notification_ids is not None:
        unread = unread.filter(pk__in=list(notification_ids))
    return unread.update(read_at=timezone.now())


@transaction.atomic
def save_settings(*, user, choices: dict[str, tuple[bool, bool]]) -> None:
    """`choices` maps kinds the user may receive to (web, email); an unknown kind is refused."""
    allowed = set(kinds_for(user))
    unknown = sorted(set(choices) - allowed)
    if unknown:
        raise ValidationError({"kind": _("Unknown kind of notification: %(kinds)s") % {"kinds": ", ".join(unknown)}})
    for kind, (web, email) in choices.items():
        NotificationSetting.objects.update_or_create(
            user=user, kind=kind, defaults={"web": bool(web), "email": bool(email)}
        )


def purge_old(*, now=None) -> int:
    """Deletes read notifications older than NOTIFICATIONS_KEEP_READ_DAYS and any older than
    NOTIFICATIONS_KEEP_DAYS (e-mail-only records, which are never read, included); returns how
    many. The "once until read" rule asks only of unread ones (kept for NOTIFICATIONS_KEEP_DAYS)
    and of e-mail-only ones of the last week, so both keeping times must stay above a week."""
    now = now or timezone.now()
    read_before = now - timedelta(days=settings.NOTIFICATIONS_KEEP_READ_DAYS)
    any_before = now - timedelta(days=settings.NOTIFICATIONS_KEEP_DAYS)
    deleted, _rows = Notification.objects.filter(
        Q(created_at__lt=any_before) | Q(read_at__isnull=False, read_at__lt=read_before)
    ).delete()
    return deleted
