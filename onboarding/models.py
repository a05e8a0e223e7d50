from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.validators import NOTE_MAX, SINGLE_LINE, long_text, validate_uscc


class JoinAs(models.TextChoices):
    INSTITUTION = "institution", _("A university or research institute")
    ENTERPRISE = "enterprise", _("An enterprise")


class RequestStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for a decision")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class AccountRequest(models.Model):
    """A visitor asks for an account for their organisation; a platform admin decides. Approving
    creates the account (and the organisation, if it is new) and e-mails a link to set the password."""

    join_as = models.CharField(_("joining as"), max_length=20, choices=JoinAs.choices)
    organisation = models.CharField(_("organisation"), max_length=200, validators=SINGLE_LINE)
    credit_code = models.CharField(
        _("unified social credit code"), max_length=18, blank=True, validators=[validate_uscc]
    )
    contact_name = models.CharField(_("your name"), max_length=100, validators=SINGLE_LINE)
    email = models.EmailField(_("e-mail"))
    phone = models.CharField(_("phone"), max_length=30, blank=True, validators=SINGLE_LINE)
    message = models.TextField(_("what you hope to find here"), blank=True, validators=long_text(NOTE_MAX))
    language = models.CharField(max_length=10, default="zh-hans")
    status = models.CharField(
        _("status"), max_length=20, choices=RequestStatus.choices, default=RequestStatus.PENDING, db_index=True
    )
    decision_note = models.TextField(_("reason"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="account_request"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("account request")
        verbose_name_plural = _("account requests")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["email"], condition=models.Q(status="pending"), name="account_request_one_pending_per_email"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation} ({self.contact_name})"
