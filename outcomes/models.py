"""What the programme is judged on: 揭榜挂帅 challenges and their bids and reviews, technology
contracts (技术合同) linked to the match, challenge or meeting they came from, 先使用后付费
licences, and the yearly targets the actuals are reported against. Amounts are in 10k CNY (万元),
as the city's statistics are."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.validators import AMOUNT_RANGE, DATE_RANGE, NOTE_MAX, SINGLE_LINE, long_text

AMOUNT = {"max_digits": 14, "decimal_places": 2, "validators": AMOUNT_RANGE}


class ChallengeStage(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted for screening")
    APPROVED = "approved", _("Approved by the committee")
    REJECTED = "rejected", _("Rejected by the committee")
    PUBLISHED = "published", _("Published, open for bids")
    EVALUATING = "evaluating", _("Closed, bids under review")
    AWARDED = "awarded", _("Awarded")
    CONTRACTED = "contracted", _("Contract signed")
    CANCELLED = "cancelled", _("Cancelled")


DEFAULT_CRITERIA = [
    {"code": "technical", "name": "技术先进性 / technical merit", "weight": 40},
    {"code": "feasibility", "name": "可行性 / feasibility", "weight": 30},
    {"code": "team", "name": "团队能力 / team", "weight": 20},
    {"code": "budget", "name": "经费合理性 / budget", "weight": 10},
]
# the default criteria as each reader reads them (a renamed criterion shows its own name)
CRITERION_LABELS = {
    "technical": _("Technical merit"),
    "feasibility": _("Feasibility"),
    "team": _("Team"),
    "budget": _("Budget"),
}


def default_criteria() -> list[dict]:
    return [dict(criterion) for criterion in DEFAULT_CRITERIA]


def criterion_label(criterion: dict) -> str:
    default = next((c for c in DEFAULT_CRITERIA if c["code"] == criterion.get("code")), None)
    if default is not None and criterion.get("name") == default["name"]:
        return str(CRITERION_LABELS[default["code"]])
    return criterion.get("name", "")


class Challenge(models.Model):
    """A 揭榜挂帅 challenge: a hard need with an award, open to bids after screening."""

    need = models.OneToOneField(
        "enterprises.TechnologyNeed", verbose_name=_("need"), on_delete=models.PROTECT, related_name="challenge"
    )
    stage = models.CharField(
        _("stage"), max_length=20, choices=ChallengeStage.choices, default=ChallengeStage.SUBMITTED, db_index=True
    )
    award = models.DecimalField(_("award (10k CNY)"), **AMOUNT)
    closes_on = models.DateField(_("closing date"), validators=DATE_RANGE)
    criteria = models.JSONField(_("evaluation criteria"), default=default_criteria)
    # A published challenge is public. A "brokers only" need becomes one only with its
    # enterprise's explicit consent, given at submission (the committee sees it when screening);
    # publishing then makes the need public.
    public_consent = models.BooleanField(_("enterprise agrees to publish a brokers-only need"), default=False)
    screening_note = models.TextField(_("screening note"), blank=True, validators=long_text(NOTE_MAX))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(_("submitted at"), auto_now_add=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    awarded_at = models.DateTimeField(_("awarded at"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("揭榜挂帅 challenge")
        verbose_name_plural = _("揭榜挂帅 challenges")
        ordering = ["-submitted_at", "-id"]

    def __str__(self) -> str:
        return str(self.need)


class BidStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    AWARDED = "awarded", _("Awarded")
    NOT_AWARDED = "not_awarded", _("Not awarded")


class Bid(models.Model):
    """A research team's answer to a challenge (揭榜)."""

    challenge = models.ForeignKey(Challenge, verbose_name=_("challenge"), on_delete=models.CASCADE, related_name="bids")
    institution = models.ForeignKey(
        "achievements.Institution", verbose_name=_("institution"), on_delete=models.PROTECT, related_name="bids"
    )
    team_name = models.CharField(_("team"), max_length=200, validators=SINGLE_LINE)
    team_members = models.JSONField(_("team members"), default=list, blank=True)
    proposal = models.TextField(_("proposal"), validators=long_text())
    budget = models.DecimalField(_("budget (10k CNY)"), **AMOUNT)
    timeline_months = models.PositiveSmallIntegerField(
        _("timeline (months)"), validators=[MinValueValidator(1), MaxValueValidator(120)]
    )
    status = models.CharField(_("status"), max_length=20, choices=BidStatus.choices, default=BidStatus.SUBMITTED)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("submitted at"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("bid")
        verbose_name_plural = _("bids")
        ordering = ["challenge_id", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["challenge", "institution", "team_name"], name="bid_unique_team_per_challenge"
            ),
            models.UniqueConstraint(fields=["challenge"], condition=Q(status="awarded"), name="bid_one_winner"),
        ]

    def __str__(self) -> str:
        return f"{self.team_name} -> {self.challenge_id}"


class BidAttachment(models.Model):
    bid = models.ForeignKey(Bid, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="bids/%Y/%m/")
    name = models.CharField(max_length=200)
    size = models.PositiveIntegerField()
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.name


class ReviewerAssignment(models.Model):
    """An expert asked to score a challenge's bids; never one from a bidding institution."""

    challenge = models.ForeignKey(Challenge, on_delete=models.CASCADE, related_name="reviewers")
    expert = models.ForeignKey("achievements.Expert", on_delete=models.PROTECT, related_name="review_assignments")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="review_assignments")
    match_score = models.FloatField(null=True, blank=True)
    assigned_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["challenge_id", "-match_score", "id"]
        constraints = [models.UniqueConstraint(fields=["challenge", "expert"], name="reviewer_once_per_challenge")]

    def __str__(self) -> str:
        return f"{self.expert} reviews {self.challenge_id}"


class Review(models.Model):
    assignment = models.ForeignKey(ReviewerAssignment, on_delete=models.CASCADE, related_name="reviews")
    bid = models.ForeignKey(Bid, on_delete=models.CASCADE, related_name="reviews")
    scores = models.JSONField(_("scores per criterion (0-10)"))
    total = models.FloatField(_("weighted score (0-100)"))
    comment = models.TextField(_("comment"), blank=True, validators=long_text(NOTE_MAX))
    submitted_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["bid_id", "id"]
        constraints = [models.UniqueConstraint(fields=["assignment", "bid"], name="review_once_per_bid")]

    def __str__(self) -> str:
        return f"review of {self.bid_id}: {self.total}"


class ContractType(models.TextChoices):
    DEVELOPMENT = "development", _("Technology development")
    TRANSFER = "transfer", _("Technology transfer")
    LICENCE = "licence", _("Technology licence")
    CONSULTING = "consulting", _("Technology consulting")
    SERVICE = "service", _("Technology service")


class TechnologyContract(models.Model):
    """A signed technology contract and what it came from: a match, a challenge or a meeting."""

    contract_type = models.CharField(_("type"), max_length=20, choices=ContractType.choices)
    title = models.CharField(_("title"), max_length=300, validators=SINGLE_LINE)
    amount = models.DecimalField(_("amount (10k CNY)"), **AMOUNT)
    signed_on = models.DateField(_("signing date"), db_index=True, validators=DATE_RANGE)
    registration_number = models.CharField(_("registration number"), max_length=40, null=True, blank=True, unique=True)
    institution = models.ForeignKey(
        "achievements.Institution",
        verbose_name=_("seller / developer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contracts",
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name=_("buyer / client"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contracts",
    )
    achievement = models.ForeignKey(
        "achievements.Achievement", null=True, blank=True, on_delete=models.SET_NULL, related_name="contracts"
    )
    field = models.ForeignKey(
        "core.TechnicalField", verbose_name=_("technical field"), null=True, blank=True, on_delete=models.PROTECT
    )
    district = models.ForeignKey(
        "core.District", verbose_name=_("district"), null=True, blank=True, on_delete=models.PROTECT
    )
    broker = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="contracts"
    )
    agency = models.ForeignKey(
        "accounts.Agency", null=True, blank=True, on_delete=models.SET_NULL, related_name="contracts"
    )
    match = models.OneToOneField(
        "matchmaking.Match", null=True, blank=True, on_delete=models.SET_NULL, related_name="contract"
    )
    challenge = models.OneToOneField(
        Challenge, null=True, blank=True, on_delete=models.SET_NULL, related_name="contract"
    )
    meeting = models.ForeignKey(
        "events.Meeting", null=True, blank=True, on_delete=models.SET_NULL, related_name="contracts"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A contract with no match, challenge or meeting behind it is recorded by the committee
    # only, with the reason; the reports count such contracts separately.
    direct_reason = models.TextField(_("reason for recording without a source"), blank=True, max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("technology contract")
        verbose_name_plural = _("technology contracts")
        ordering = ["-signed_on", "-id"]
        indexes = [
            models.Index(fields=["signed_on", "amount"]),
            models.Index(fields=["field", "signed_on"]),
            models.Index(fields=["district", "signed_on"]),
            models.Index(fields=["agency", "signed_on"]),
            models.Index(fields=["broker", "signed_on"]),
        ]
        constraints = [models.CheckConstraint(name="contract_amount_positive", condition=Q(amount__gt=0))]

    def __str__(self) -> str:
        return self.title


class LicenceStatus(models.TextChoices):
    FREE_USE = "free_use", _("Free use period")
    EVALUATED = "evaluated", _("Evaluated, payment agreed")
    PAYMENT_DUE = "payment_due", _("Payment due")
    PAID = "paid", _("Paid")
    TERMINATED = "terminated", _("Ended after the free use")


class UseFirstLicence(models.Model):
    """A 先使用后付费 licence: the enterprise uses the technology free for a period, evaluates it,
    then pays (or hands it back)."""

    contract = models.OneToOneField(TechnologyContract, on_delete=models.CASCADE, related_name="licence")
    free_use_from = models.DateField(_("free use from"), validators=DATE_RANGE)
    free_use_until = models.DateField(_("free use until"), db_index=True, validators=DATE_RANGE)
    status = models.CharField(_("status"), max_length=20, choices=LicenceStatus.choices, default=LicenceStatus.FREE_USE)
    evaluation = models.TextField(_("evaluation"), blank=True, validators=long_text(NOTE_MAX))
    evaluated_at = models.DateTimeField(null=True, blank=True)
    payment_amount = models.DecimalField(_("payment (10k CNY)"), null=True, blank=True, **AMOUNT)
    payment_due_on = models.DateField(_("payment due"), null=True, blank=True, validators=DATE_RANGE)
    paid_on = models.DateField(_("paid on"), null=True, blank=True, validators=DATE_RANGE)
    reminded_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("use-first-pay-later licence (先使用后付费)")
        verbose_name_plural = _("use-first-pay-later licences (先使用后付费)")
        ordering = ["free_use_until", "id"]
        constraints = [
            models.CheckConstraint(
                name="licence_period_ordered",
                condition=Q(free_use_until__gte=models.F("free_use_from")),
                violation_error_message=_("The free use must end on or after the day it starts."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.contract} ({self.status})"


class ProgrammeTarget(models.Model):
    """The city's targets for one programme year."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True, validators=[MinValueValidator(2000)])
    events_held = models.PositiveIntegerField(_("events held"), default=400)
    achievements_collected = models.PositiveIntegerField(_("achievements collected"), default=2000)
    achievements_matched = models.PositiveIntegerField(_("achievements matched"), default=3000)
    brokers_active = models.PositiveIntegerField(_("brokers active"), default=1000)
    contract_value = models.DecimalField(_("contract value (10k CNY)"), default=0, **AMOUNT)
    contract_growth_pct = models.DecimalField(
        _("contract value growth (%)"), max_digits=5, decimal_places=1, default=10
    )

    class Meta:
        verbose_name = _("programme target")
        verbose_name_plural = _("programme targets")
        ordering = ["-year"]

    def __str__(self) -> str:
        return str(self.year)
