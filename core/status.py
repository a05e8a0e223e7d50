"""A status change under a row lock, shared by achievements and needs."""

from django.core.exceptions import ValidationError
from django.db import transaction


def change_status(obj, *, allowed_from: tuple, to: str, message: str, on_change=None, **stamps):
    """Move `obj` to status `to` if its current status (read under a lock) allows it; set the
    given time stamps; `on_change(pk)` runs inside the same transaction. Returns `obj` refreshed."""
    model = type(obj)
    with transaction.atomic():
        locked = model.objects.select_for_update().get(pk=obj.pk)
        if locked.status not in allowed_from:
            raise ValidationError({"status": message})
        locked.status = to
        for name, value in stamps.items():
            setattr(locked, name, value)
        locked.save(update_fields=["status", "updated_at", *stamps])
        if on_change is not None:
            on_change(locked.pk)
    obj.refresh_from_db()
    return obj
