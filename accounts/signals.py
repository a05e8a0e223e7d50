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
    if stored is not None and stored != instance.password:
        from rest_framework.authtoken.models import Token

        Token.objects.filter(user_id=instance.pk).delete()
