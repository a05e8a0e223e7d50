from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.validators import long_text


class RecordKind(models.TextChoices):
    ACHIEVEMENT = "achievement", _("Achievement")
    NEED = "need", _("Technology need")
    EXPERT = "expert", _("Expert")


class Embedding(models.Model):
    """A record's vector under one model, with the hash of the text it was computed from:
    unchanged text is never embedded twice, and a new model gets its own rows."""

    kind = models.CharField(max_length=20, choices=RecordKind.choices)
    object_id = models.PositiveBigIntegerField()
    model_name = models.CharField(max_length=300)
    text_hash = models.CharField(max_length=64)
    dim = models.PositiveSmallIntegerField()
    vector = models.BinaryField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id", "model_name"], name="embedding_unique_per_model")
        ]
        indexes = [models.Index(fields=["model_name", "kind"])]

    def __str__(self) -> str:
        return f"{self.kind}#{self.object_id} ({self.model_name})"


class Stage(models.TextChoices):
    SUGGESTED = "suggested", _("Suggested")
    SHORTLISTED = "shortlisted", _("Shortlisted")
    INTRODUCED = "introduced", _("Introduced")
    MEETING = "meeting", _("Meeting")
    NEGOTIATING = "negotiating", _("Negotiating")
    CONTRACT_SIGNED = "contract_signed", _("Contract signed")
    DECLINED = "declined", _("Declined")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# a match someone still works on
OPEN_STAGES = (Stage.SUGGESTED, Stage.SHORTLISTED, Stage.INTRODUCED, Stage.MEETING, Stage.NEGOTIATING)


class DeclineReason(models.TextChoices):
    FIELD_NOT_RELEVANT = "field_not_relevant", _("Field not relevant")
    MATURITY_TOO_LOW = "maturity_too_low", _("Maturity too low")
    PRICE = "price", _("Price")
    IP_STATUS = "ip_status", _("IP status")
    ALREADY_SOLVED = "already_solved", _("Already solved")
    TIMING = "timing", _("Timing")
    PARTNER_LOCATION = "partner_location", _("Partner location")
    OTHER = "other", _("Other")


class Match(models.Model):
    """A suggested pairing of a need and an achievement, worked by a broker."""

    need = models.ForeignKey("enterprises.TechnologyNeed", on_delete=models.CASCADE, related_name="matches")
    achievement = models.ForeignKey("achievements.Achievement", on_delete=models.CASCADE, related_name="matches")
    rank = models.PositiveSmallIntegerField(null=True, blank=True)
    score = models.FloatField()
    components = models.JSONField(default=dict)
    explanation = models.JSONField(default=dict)
    algorithm_version = models.CharField(max_length=60)
    stage = models.CharField(max_length=20, choices=Stage.choices, default=Stage.SUGGESTED, db_index=True)
    broker = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="matches"
    )
    decline_reason = models.CharField(max_length=30, choices=DeclineReason.choices, blank=True)
    decline_note = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("match")
        verbose_name_plural = _("matches")
        ordering = ["need_id", "rank", "-score"]
        constraints = [
            models.UniqueConstraint(fields=["need", "achievement"], name="match_unique_pair"),
            models.CheckConstraint(name="match_score_0_to_1", condition=Q(score__gte=0, score__lte=1)),
        ]
        indexes = [models.Index(fields=["broker", "stage"]), models.Index(fields=["achievement", "stage"])]

    def __str__(self) -> str:
        return f"{self.need_id} -> {self.achievement_id} ({self.stage})"


class MatchEvent(models.Model):
    """Every stage change of a match, with who made it and when."""

    match = models.ForeignKey(Match, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    from_stage = models.CharField(max_length=20, choices=Stage.choices, blank=True)
    to_stage = models.CharField(max_length=20, choices=Stage.choices)
    reason = models.CharField(max_length=30, choices=DeclineReason.choices, blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("stage change")
        verbose_name_plural = _("stage changes")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["to_stage", "created_at"]), models.Index(fields=["created_at", "actor"])]

    def __str__(self) -> str:
        return f"{self.match_id}: {self.from_stage} -> {self.to_stage}"


class ExpertSuggestion(models.Model):
    """Researchers suggested for a need, from their profile and their achievements."""

    need = models.ForeignKey("enterprises.TechnologyNeed", on_delete=models.CASCADE, related_name="expert_suggestions")
    expert = models.ForeignKey("achievements.Expert", on_delete=models.CASCADE, related_name="suggestions")
    rank = models.PositiveSmallIntegerField()
    score = models.FloatField()
    components = models.JSONField(default=dict)
    explanation = models.JSONField(default=dict)
    algorithm_version = models.CharField(max_length=60)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["need_id", "rank"]
        constraints = [models.UniqueConstraint(fields=["need", "expert"], name="expert_suggestion_unique_pair")]

    def __str__(self) -> str:
        return f"{self.need_id} -> expert {self.expert_id}"


class RankingModel(models.Model):
    """A version of the fusion weights; the active one ranks. Learned versions record how
    they did on held-out broker decisions against the version they replaced."""

    version = models.CharField(max_length=60, unique=True)
    weights = models.JSONField()
    metrics = models.JSONField(default=dict)
    is_active = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("ranking model")
        verbose_name_plural = _("ranking models")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["is_active"], condition=Q(is_active=True), name="one_active_ranking_model")
        ]

    def __str__(self) -> str:
        return self.version


class LanguageCentres(models.Model):
    """Per multilingual model and language, the mean vector of the indexed records in that
    language, taken out of every stored and query vector (matchmaking/centring.py). Fitted by a
    worker from the platform's own records; the active version is the one the index holds."""

    version = models.CharField(max_length=60, unique=True)
    data = models.JSONField()
    records = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=False)
    # set once every index entry has been re-written with these centres (tasks.recentre_index)
    reindexed = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(is_active=True), name="one_active_language_centres"
            )
        ]

    def __str__(self) -> str:
        return self.version


class NoteKind(models.TextChoices):
    NOTE = "note", _("Broker's note")
    INTRODUCTION_REQUEST = "introduction_request", _("Introduction requested")
    MEETING_REQUEST = "meeting_request", _("Meeting requested")
    INTEREST = "interest", _("Interest expressed")


class MatchNote(models.Model):
    """A broker's note on a match, or a party's request to be introduced or to meet."""

    match = models.ForeignKey(Match, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(max_length=30, choices=NoteKind.choices, default=NoteKind.NOTE)
    text = models.TextField(max_length=5000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} on {self.match_id}"


class AnalysisModel(models.Model):
    """What need analysis learned from the platform's labelled records (field profiles, the
    key-term scorer and corpus statistics), built by a worker; web processes read the newest."""

    version = models.CharField(max_length=60, unique=True)
    data = models.JSONField()
    records = models.PositiveIntegerField(default=0)
    keyword_records = models.PositiveIntegerField(default=0)
    built_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-built_at", "-pk"]

    def __str__(self) -> str:
        return self.version


class NeedAnalysis(models.Model):
    """A need's stored analysis (需求解构), refreshed when the need's text changes."""

    need = models.OneToOneField("enterprises.TechnologyNeed", on_delete=models.CASCADE, related_name="analysis")
    result = models.JSONField()
    text_hash = models.CharField(max_length=64)
    model_version = models.CharField(max_length=60, blank=True)
    analysed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"analysis of need #{self.need_id}"


class Interest(models.Model):
    """An institution's interest in a public need, or an enterprise's in an achievement, with
    what it offers in return if it names one (its own achievement or need): it reaches the
    broker of the record, and becomes a match when it names a pair."""

    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="interests")
    # the organisation the author spoke for: interest is once per organisation, and its members see it
    institution = models.ForeignKey(
        "achievements.Institution", null=True, blank=True, on_delete=models.CASCADE, related_name="interests"
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", null=True, blank=True, on_delete=models.CASCADE, related_name="interests"
    )
    # the record the author is interested in: a need (an institution) or an achievement (an enterprise)
    on_kind = models.CharField(
        max_length=20,
        choices=[(RecordKind.NEED, RecordKind.NEED.label), (RecordKind.ACHIEVEMENT, RecordKind.ACHIEVEMENT.label)],
    )
    need = models.ForeignKey(
        "enterprises.TechnologyNeed", null=True, blank=True, on_delete=models.CASCADE, related_name="interests"
    )
    achievement = models.ForeignKey(
        "achievements.Achievement", null=True, blank=True, on_delete=models.CASCADE, related_name="interests"
    )
    match = models.ForeignKey(Match, null=True, blank=True, on_delete=models.SET_NULL, related_name="interests")
    broker = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="interests_to_follow"
    )
    message = models.TextField(blank=True, max_length=2000, validators=long_text(2000))
    created_at = models.DateTimeField(auto_now_add=True)
    followed_up_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("interest expressed")
        verbose_name_plural = _("interest expressed")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["institution", "need"], condition=Q(on_kind="need"), name="interest_once_per_institution"
            ),
            models.UniqueConstraint(
                fields=["enterprise", "achievement"],
                condition=Q(on_kind="achievement"),
                name="interest_once_per_enterprise",
            ),
            models.CheckConstraint(
                name="interest_names_its_organisation",
                condition=(
                    Q(on_kind="need", institution__isnull=False, enterprise__isnull=True)
                    | Q(on_kind="achievement", enterprise__isnull=False, institution__isnull=True)
                ),
            ),
            models.CheckConstraint(
                name="interest_names_its_record",
                condition=(Q(on_kind="need", need__isnull=False) | Q(on_kind="achievement", achievement__isnull=False)),
            ),
        ]
        indexes = [models.Index(fields=["broker", "followed_up_at"])]

    def __str__(self) -> str:
        return f"interest of {self.author_id} in {self.on_kind} {self.need_id or self.achievement_id}"
