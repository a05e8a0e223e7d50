from django.utils.translation import gettext as _
from rest_framework.exceptions import PermissionDenied, ValidationError


def owner_for_write(user, *, requested, own, role: str, label: str):
    """The organisation a new record belongs to: members write for their own organisation,
    platform admins name one explicitly."""
    if user.is_platform_admin:
        if requested is None:
            raise ValidationError({label: [_("Platform administrators must say which one this is for.")]})
        return requested
    if user.role != role or own is None:
        raise PermissionDenied(_("Your role cannot create this."))
    if requested is not None and requested.pk != own.pk:
        raise PermissionDenied(_("You can only create records for your own organisation."))
    return own
