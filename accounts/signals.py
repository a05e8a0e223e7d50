"""A new password ends every API session of the account: whoever held a token (a stolen one, a
shared script) must sign in again. Keyed on the stored hash changing, so it holds for the web
password change and reset, the admin, `changepassword` and any service alike."""

from django.db.models.signals import pre_save
from django.dispatch import receiver

from .models import User


@receiver(pre_save, sender=User, dispatch_uid="accounts.revoke_tokens_on_new_password")
def revoke_tokens_on_new_password(sender, instance, raw=False, update_fields=None, **kwargs):
    if raw or instance.pk is None or (update_fields is not None and "password" not in update_fields):
        return
    stored = User.objects.filter(pk=instance.pk).values_list("password", flat=True).first()
    if stored is None or stored == instance.password or _is_rehash(stored, update_fields):
        return
    from rest_framework.authtoken.models import Token

    Token.objects.filter(user_id=instance.pk).delete()


def _is_rehash(stored: str, update_fields) -> bool:
    """Django re-hashes the same password at sign-in when the stored hash is outdated (another
    hasher, fewer iterations) and saves only that field: not a new password, keep the tokens.
    Every place that sets a new password saves the whole user."""
    from django.contrib.auth.hashers import get_hasher, identify_hasher

    if update_fields is None or set(update_fields) != {"password"}:
        return False
    try:
        hasher = identify_hasher(stored)
    except ValueError:
        return False
    return hasher.algorithm != get_hasher().algorithm or hasher.must_update(stored)
