from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from achievements.models import Language
from core.validators import AMOUNT_RANGE, DATE_RANGE, NOTE_MAX, SINGLE_LINE, long_text, validate_uscc


class EnterpriseSize(models.TextChoices):
    MICRO = "micro", _("Micro")
    SMALL = "small", _("Small")
    MEDIUM = "medium", _("Medium")
    LARGE = "large", _("Large")


class Enterprise(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True, validators=SINGLE_LINE)
    credit_code = models.CharField(
        _("unified social credit code"), max_length=18, unique=True, validators=[validate_uscc]
    )
    industry = models.ForeignKey(
        "core.TechnicalField", verbose_name=_("industry"), null=True, blank=True, on_delete=models.PROTECT
    )
    district = models.ForeignKey(
        "core.District", verbose_name=_("district"), null=True, blank=True, on_delete=models.PROTECT
    )
    size = models.CharField(_("size"), max_length=10, choices=EnterpriseSize.choices, default=EnterpriseSize.SMALL)
    is_high_tech = models.BooleanField(_("high-tech enterprise"), default=False)
    is_tech_sme = models.BooleanField(_("technology-based SME"), default=False)
    description = models.TextField(_("description"), blank=True, validators=long_text(NOTE_MAX))
    website = models.URLField(_("website"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class NeedStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    CLOSED = "closed", _("Closed")
    ARCHIVED = "archived", _("Archived")


class Confidentiality(models.TextChoices):
    PUBLIC = "public", _("Public")
    BROKERS = "brokers", _("Brokers only")


class TechnologyNeed(models.Model):
    """A technology need (技术需求) posted by an enterprise, optionally a 揭榜挂帅 challenge."""

    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("enterprise"), on_delete=models.PROTECT, related_name="needs"
    )
    title = models.CharField(_("title"), max_length=300, validators=SINGLE_LINE)
    description = models.TextField(_("description"), validators=long_text())
    keywords = models.JSONField(_("keywords"), default=list, blank=True)
    field = models.ForeignKey("core.TechnicalField", verbose_name=_("technical field"), on_delete=models.PROTECT)
    required_trl = models.PositiveSmallIntegerField(
        _("minimum technology readiness level"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(9)],
    )
    cooperation_modes = models.ManyToManyField(
        "core.TransferMode", verbose_name=_("wanted cooperation modes"), blank=True
    )
    budget_min = models.DecimalField(
        _("budget from (10k CNY)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=AMOUNT_RANGE,
    )
    budget_max = models.DecimalField(
        _("budget up to (10k CNY)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=AMOUNT_RANGE,
    )
    deadline = models.DateField(_("deadline"), null=True, blank=True, validators=DATE_RANGE)
    region = models.ForeignKey(
        "core.District", verbose_name=_("region"), null=True, blank=True, on_delete=models.PROTECT
    )
    confidentiality = models.CharField(
        _("confidentiality"), max_length=10, choices=Confidentiality.choices, default=Confidentiality.PUBLIC
    )
    is_challenge = models.BooleanField(_("揭榜挂帅 challenge"), default=False)
    challenge_award = models.DecimalField(
        _("challenge award (10k CNY)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=AMOUNT_RANGE,
    )
    challenge_closes_on = models.DateField(_("challenge closing date"), null=True, blank=True, validators=DATE_RANGE)
    language = models.CharField(_("language"), max_length=10, choices=Language.choices, default=Language.ZH_HANS)
    status = models.CharField(
        _("status"), max_length=20, choices=NeedStatus.choices, default=NeedStatus.DRAFT, db_index=True
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    search_document = models.TextField(editable=False, default="")

    class Meta:
        verbose_name = _("technology need")
        verbose_name_plural = _("technology needs")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="need_required_trl_1_to_9",
                condition=Q(required_trl__isnull=True) | Q(required_trl__gte=1, required_trl__lte=9),
            ),
            models.CheckConstraint(
                name="need_budget_range_ordered",
                condition=Q(budget_min__isnull=True) | Q(budget_max__isnull=True) | Q(budget_min__lte=F("budget_max")),
                violation_error_message=_("The lowest budget is above the highest."),
            ),
            models.CheckConstraint(
                name="need_challenge_has_award_and_closing_date",
                condition=Q(is_challenge=False) | Q(challenge_award__isnull=False, challenge_closes_on__isnull=False),
            ),
        ]
        indexes = [models.Index(fields=["enterprise", "status"])]

    def __str__(self) -> str:
        return self.title
