from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.notify import render

from .kinds import Kind


class Notification(models.Model):
    """One thing a user was told, read or not, linking to the page it is about."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    subject = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    # the body's plural source where it has one (ngettext_noop), chosen by params["count"]
    body_plural = models.TextField(blank=True)
    params = models.JSONField(default=dict)
    url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    # False: the user chose e-mail only for this kind; kept so that what was sent is on record
    on_site = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"]), models.Index(fields=["user", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} -> {self.user_id}"

    @property
    def title(self) -> str:
        # stored as untranslated sources and parameters: a reader who switches language reads
        # old notifications in the new one
        return render(self.subject, self.params)

    @property
    def text(self) -> str:
        if not self.body:
            return ""
        return render((self.body, self.body_plural) if self.body_plural else self.body, self.params)


class NotificationSetting(models.Model):
    """A user's choice for one kind; without a row the kind's default holds (kinds.py)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_settings")
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    web = models.BooleanField(_("on the site"), default=True)
    email = models.BooleanField(_("by e-mail"), default=True)

    class Meta:
        verbose_name = _("notification setting")
        verbose_name_plural = _("notification settings")
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="notification_setting_once")]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.kind}"
