from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.validators import AMOUNT_RANGE, NOTE_MAX, SINGLE_LINE, long_text


class Language(models.TextChoices):
    ZH_HANS = "zh-hans", "简体中文"
    EN = "en", "English"


class InstitutionKind(models.TextChoices):
    UNIVERSITY = "university", _("University")
    INSTITUTE = "institute", _("Research institute")
    HOSPITAL = "hospital", _("Hospital")
    OTHER = "other", _("Other")


class Institution(models.Model):
    """A university or research institute that owns achievements."""

    name = models.CharField(_("name"), max_length=200, unique=True, validators=SINGLE_LINE)
    short_name = models.CharField(_("short name"), max_length=60, blank=True, validators=SINGLE_LINE)
    kind = models.CharField(
        _("kind"), max_length=20, choices=InstitutionKind.choices, default=InstitutionKind.UNIVERSITY
    )
    district = models.ForeignKey(
        "core.District", verbose_name=_("district"), null=True, blank=True, on_delete=models.PROTECT
    )
    website = models.URLField(_("website"), blank=True)
    description = models.TextField(_("description"), blank=True, validators=long_text(NOTE_MAX))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("institution")
        verbose_name_plural = _("institutions")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Expert(models.Model):
    """A researcher recorded with their institution and a free-text expertise profile."""

    institution = models.ForeignKey(
        Institution, verbose_name=_("institution"), on_delete=models.PROTECT, related_name="experts"
    )
    name = models.CharField(_("name"), max_length=100, validators=SINGLE_LINE)
    title = models.CharField(_("professional title"), max_length=100, blank=True, validators=SINGLE_LINE)
    field = models.ForeignKey(
        "core.TechnicalField", verbose_name=_("technical field"), null=True, blank=True, on_delete=models.PROTECT
    )
    expertise = models.TextField(_("expertise"), validators=long_text(NOTE_MAX))
    # The expert's own platform account, needed to review challenge bids.
    user = models.OneToOneField(
        "accounts.User",
        verbose_name=_("platform account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="expert_profile",
    )
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    language = models.CharField(_("language"), max_length=10, choices=Language.choices, default=Language.ZH_HANS)
    search_document = models.TextField(editable=False, default="")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("expert")
        verbose_name_plural = _("experts")
        ordering = ["institution_id", "name", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.institution})"


class MaturityStage(models.TextChoices):
    LAB = "lab", _("Laboratory")
    SMALL_PILOT = "small_pilot", _("Small-scale trial")
    PILOT = "pilot", _("Pilot scale")
    INDUSTRIAL = "industrial", _("Industrialisation")


# The stage each technology readiness level belongs to, and a representative TRL per stage
# (used when a spreadsheet gives only the stage name).
TRL_STAGE = {
    1: "lab",
    2: "lab",
    3: "lab",
    4: "lab",
    5: "small_pilot",
    6: "pilot",
    7: "pilot",
    8: "industrial",
    9: "industrial",
}
STAGE_TRL = {"lab": 3, "small_pilot": 5, "pilot": 6, "industrial": 8}


class AchievementStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    ARCHIVED = "archived", _("Archived")


class Achievement(models.Model):
    """A research achievement (科技成果) offered for transfer."""

    institution = models.ForeignKey(
        Institution, verbose_name=_("institution"), on_delete=models.PROTECT, related_name="achievements"
    )
    title = models.CharField(_("title"), max_length=300, validators=SINGLE_LINE)
    abstract = models.TextField(_("abstract"), validators=long_text())
    keywords = models.JSONField(_("keywords"), default=list, blank=True)
    field = models.ForeignKey("core.TechnicalField", verbose_name=_("technical field"), on_delete=models.PROTECT)
    trl = models.PositiveSmallIntegerField(
        _("technology readiness level"), validators=[MinValueValidator(1), MaxValueValidator(9)]
    )
    maturity_stage = models.CharField(_("maturity stage"), max_length=20, choices=MaturityStage.choices)
    transfer_modes = models.ManyToManyField("core.TransferMode", verbose_name=_("transfer modes"), blank=True)
    asking_price_min = models.DecimalField(
        _("asking price from (10k CNY)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=AMOUNT_RANGE,
    )
    asking_price_max = models.DecimalField(
        _("asking price up to (10k CNY)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=AMOUNT_RANGE,
    )
    inventors = models.CharField(_("inventors / team"), max_length=500, blank=True, validators=SINGLE_LINE)
    experts = models.ManyToManyField(Expert, verbose_name=_("experts"), blank=True, related_name="achievements")
    contact_name = models.CharField(_("contact person"), max_length=100, blank=True, validators=SINGLE_LINE)
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    language = models.CharField(_("language"), max_length=10, choices=Language.choices, default=Language.ZH_HANS)
    status = models.CharField(
        _("status"), max_length=20, choices=AchievementStatus.choices, default=AchievementStatus.DRAFT, db_index=True
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True)
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
    # The title folded for duplicate detection: one institution never lists the same title twice.
    title_key = models.CharField(max_length=300, editable=False)

    class Meta:
        verbose_name = _("research achievement")
        verbose_name_plural = _("research achievements")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["institution", "title_key"], name="achievement_title_unique_per_institution"
            ),
            models.CheckConstraint(name="achievement_trl_1_to_9", condition=Q(trl__gte=1, trl__lte=9)),
            models.CheckConstraint(
                name="achievement_price_range_ordered",
                condition=Q(asking_price_min__isnull=True)
                | Q(asking_price_max__isnull=True)
                | Q(asking_price_min__lte=F("asking_price_max")),
                violation_error_message=_("The lowest asking price is above the highest."),
            ),
        ]
        indexes = [models.Index(fields=["institution", "status"])]

    def __str__(self) -> str:
        return self.title


class PatentStatus(models.TextChoices):
    FILED = "filed", _("Application filed")
    GRANTED = "granted", _("Granted")
    PCT = "pct", _("PCT application")
    LAPSED = "lapsed", _("Lapsed")


class Patent(models.Model):
    """A patent behind an achievement. The institution is repeated here so the database can
    guarantee that one institution never lists the same patent twice."""

    achievement = models.ForeignKey(
        Achievement, verbose_name=_("achievement"), on_delete=models.CASCADE, related_name="patents"
    )
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="+", editable=False)
    number = models.CharField(_("patent number"), max_length=40)
    status = models.CharField(_("patent status"), max_length=20, choices=PatentStatus.choices)

    class Meta:
        verbose_name = _("patent")
        verbose_name_plural = _("patents")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["institution", "number"], name="patent_unique_per_institution"),
        ]

    def __str__(self) -> str:
        return self.number
