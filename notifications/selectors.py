from .kinds import NOT_EMAILED_BY_DEFAULT, kinds_for
from .models import Notification, NotificationSetting


def unread_count(user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True, on_site=True).count()


def notifications_for(user, *, unread_only: bool = False):
    """A user's own notifications, newest first: nobody reads another's."""
    rows = Notification.objects.filter(user=user, on_site=True)
    return rows.filter(read_at__isnull=True) if unread_only else rows


def settings_for(user) -> list[dict]:
    """Each kind the user can receive with their choice (or its default)."""
    chosen = {row.kind: row for row in NotificationSetting.objects.filter(user=user)}
    rows = []
    for kind in kinds_for(user):
        row = chosen.get(kind)
        rows.append(
            {
                "kind": kind.value,
                "label": kind.label,
                "web": row.web if row else True,
                "email": row.email if row else kind not in NOT_EMAILED_BY_DEFAULT,
            }
        )
    return rows
