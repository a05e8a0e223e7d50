"""The audit trail: one call per sensitive action, written in the caller's transaction so a
rolled-back action leaves no entry."""

from .models import AuditEntry


def record(actor, action: str, obj, **detail) -> AuditEntry:
    return AuditEntry.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        object_type=obj._meta.model_name,
        object_id=str(obj.pk),
        detail=detail,
    )


def trail(obj):
    return AuditEntry.objects.filter(object_type=obj._meta.model_name, object_id=str(obj.pk)).select_related("actor")
