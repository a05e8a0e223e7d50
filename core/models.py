"""Reference data shared by every app: the city's technical-field taxonomy, districts, and
the transfer / cooperation modes. Names are stored in both languages; `name` follows the
active language."""

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class BilingualName(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=80)
    name_en = models.CharField(_("name (English)"), max_length=120)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)

    class Meta:
        abstract = True
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "").startswith("en") else self.name_zh


class TechnicalField(BilingualName):
    """One of the city's key industries (重点产业领域)."""

    class Meta(BilingualName.Meta):
        verbose_name = _("technical field")
        verbose_name_plural = _("technical fields")


class District(BilingualName):
    """A district or county-level city of Chengdu, or a functional zone."""

    class Meta(BilingualName.Meta):
        verbose_name = _("district")
        verbose_name_plural = _("districts")


class TransferMode(BilingualName):
    """How an achievement changes hands; for needs, the wanted cooperation mode."""

    class Meta(BilingualName.Meta):
        verbose_name = _("transfer mode")
        verbose_name_plural = _("transfer modes")


class AuditEntry(models.Model):
    """One sensitive action: who did what to which record, and when. Append-only."""

    actor = models.ForeignKey(
        "accounts.User", verbose_name=_("actor"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(_("action"), max_length=60)
    object_type = models.CharField(_("object type"), max_length=40)
    object_id = models.CharField(_("object id"), max_length=40)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["object_type", "object_id", "created_at"])]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type}:{self.object_id}"


class OutboxMessage(models.Model):
    """A task to send to the broker, written in the same transaction as the change that needs
    it: if the broker is down the work is not lost, the relay sends it when it is back."""

    task = models.CharField(max_length=100)
    kwargs = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.task} #{self.pk}"


class TaskFailure(models.Model):
    """A task that failed for good (an error that is not transient, retries used up, or
    delivered too often because it kept killing its worker): visible, never retried in a loop."""

    task_id = models.CharField(max_length=64, db_index=True)
    task = models.CharField(max_length=100)
    kwargs = models.JSONField(default=dict)
    reason = models.TextField()
    failed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("failed task")
        verbose_name_plural = _("failed tasks")
        ordering = ["-failed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.task} failed: {self.reason[:60]}"


class IdempotencyRecord(models.Model):
    """A POST made with an Idempotency-Key: repeating it replays the first response instead of
    creating the thing twice."""

    owner = models.CharField(max_length=64)
    key = models.CharField(max_length=100)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=300)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    content = models.BinaryField(default=b"")
    content_type = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["owner", "key"], name="idempotency_key_once_per_owner")]

    def __str__(self) -> str:
        return f"{self.method} {self.path} [{self.key}]"
