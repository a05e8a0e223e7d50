from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.validators import NOTE_MAX, SINGLE_LINE, long_text


class Role(models.TextChoices):
    INSTITUTION = "institution", _("University or institute member")
    ENTERPRISE = "enterprise", _("Enterprise member")
    BROKER = "broker", _("Technology broker")
    ORGANISER = "organiser", _("Event organiser")
    ADMIN = "admin", _("Platform administrator")


class Agency(models.Model):
    """A technology-transfer agency (技术转移机构); brokers are its members."""

    name = models.CharField(_("name"), max_length=200, unique=True, validators=SINGLE_LINE)
    district = models.ForeignKey(
        "core.District", verbose_name=_("district"), null=True, blank=True, on_delete=models.PROTECT
    )
    description = models.TextField(_("description"), blank=True, validators=long_text(NOTE_MAX))
    # A university's own transfer office is a party to that university's deals.
    institution = models.ForeignKey(
        "achievements.Institution",
        verbose_name=_("parent institution"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="agencies",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("technology-transfer agency")
        verbose_name_plural = _("technology-transfer agencies")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TechBridgeUserManager(UserManager):
    def create_superuser(self, username, email=None, password=None, **extra_fields):
        extra_fields.setdefault("role", Role.ADMIN)
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    """A platform user with exactly one role; members point at their organisation."""

    objects = TechBridgeUserManager()

    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    institution = models.ForeignKey(
        "achievements.Institution",
        verbose_name=_("institution"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name=_("enterprise"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
    )
    agency = models.ForeignKey(
        Agency, verbose_name=_("agency"), null=True, blank=True, on_delete=models.PROTECT, related_name="brokers"
    )
    language = models.CharField(
        _("preferred language"), max_length=10, choices=[("zh-hans", "简体中文"), ("en", "English")], default="zh-hans"
    )
    phone = models.CharField(_("phone"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(name="user_role_valid", condition=Q(role__in=Role.values)),
            models.CheckConstraint(
                name="user_institution_role_has_institution",
                condition=~Q(role="institution") | Q(institution__isnull=False),
            ),
            models.CheckConstraint(
                name="user_enterprise_role_has_enterprise",
                condition=~Q(role="enterprise") | Q(enterprise__isnull=False),
            ),
            models.CheckConstraint(
                name="user_broker_role_has_agency",
                condition=~Q(role="broker") | Q(agency__isnull=False),
            ),
        ]

    @property
    def is_platform_admin(self) -> bool:
        return self.is_superuser or self.role == Role.ADMIN

    @property
    def is_broker(self) -> bool:
        return self.role == Role.BROKER
