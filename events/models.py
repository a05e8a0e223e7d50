from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.validators import DATE_RANGE, NOTE_MAX, SINGLE_LINE, long_text

MAX_TABLES = 1_000


class Programme(models.Model):
    """A year's series of matchmaking events with a target count and themes."""

    name = models.CharField(_("name"), max_length=200, validators=SINGLE_LINE)
    year = models.PositiveSmallIntegerField(_("year"))
    target_events = models.PositiveIntegerField(_("target number of events"), default=400)
    organiser = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="programmes")
    daily_cap = models.PositiveSmallIntegerField(_("events per day at most"), default=4)
    organiser_daily_cap = models.PositiveSmallIntegerField(_("events per organiser per day at most"), default=2)
    theme_spacing_days = models.PositiveSmallIntegerField(_("days between events of one theme"), default=3)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")
        ordering = ["-year", "name"]
        # per organiser: one organiser's names are not another's business
        constraints = [
            models.UniqueConstraint(fields=["organiser", "name", "year"], name="programme_unique_per_organiser")
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.year}"


class ProgrammeTheme(models.Model):
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="themes")
    field = models.ForeignKey("core.TechnicalField", on_delete=models.PROTECT)
    wanted_events = models.PositiveIntegerField(_("wanted events"))
    expected_attendance = models.PositiveIntegerField(_("expected attendance"), default=60)

    class Meta:
        verbose_name = _("programme theme")
        verbose_name_plural = _("programme themes")
        constraints = [models.UniqueConstraint(fields=["programme", "field"], name="theme_unique_per_programme")]

    def __str__(self) -> str:
        return f"{self.programme}: {self.field}"


class PublicHoliday(models.Model):
    """A day an organiser closes for every programme (the official holidays are closed anyway:
    events/closed_days.py)."""

    date = models.DateField(_("date"), unique=True, validators=DATE_RANGE)
    name = models.CharField(_("name"), max_length=100, validators=SINGLE_LINE)
    # who may open it again (or a platform admin); none for the days closed before owners were kept
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )

    class Meta:
        verbose_name = _("closed day")
        verbose_name_plural = _("closed days")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class Venue(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True, validators=SINGLE_LINE)
    address = models.CharField(_("address"), max_length=300, blank=True, validators=SINGLE_LINE)
    district = models.ForeignKey("core.District", null=True, blank=True, on_delete=models.PROTECT)

    class Meta:
        verbose_name = _("venue")
        verbose_name_plural = _("venues")

    def __str__(self) -> str:
        return self.name


class Room(models.Model):
    venue = models.ForeignKey(Venue, on_delete=models.CASCADE, related_name="rooms")
    name = models.CharField(_("name"), max_length=100, validators=SINGLE_LINE)
    capacity = models.PositiveIntegerField(_("capacity"), validators=[MinValueValidator(1), MaxValueValidator(100_000)])
    # an event takes its room's tables, and each table is a column of its schedule
    tables = models.PositiveIntegerField(
        _("meeting tables"), validators=[MinValueValidator(1), MaxValueValidator(MAX_TABLES)]
    )

    class Meta:
        verbose_name = _("room")
        verbose_name_plural = _("rooms")
        constraints = [
            models.UniqueConstraint(fields=["venue", "name"], name="room_unique_per_venue"),
            models.CheckConstraint(name="room_has_capacity_and_tables", condition=Q(capacity__gte=1, tables__gte=1)),
        ]

    def __str__(self) -> str:
        return f"{self.venue} {self.name}"


class RoomClosure(models.Model):
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="closures")
    date = models.DateField(_("date"), validators=DATE_RANGE)
    reason = models.CharField(_("reason"), max_length=200, blank=True, validators=SINGLE_LINE)

    class Meta:
        verbose_name = _("room closure")
        verbose_name_plural = _("room closures")
        constraints = [models.UniqueConstraint(fields=["room", "date"], name="closure_unique_per_day")]

    def __str__(self) -> str:
        return f"{self.room} closed {self.date}"


class EventStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Open for registration")
    CLOSED = "closed", _("Registration closed")
    HELD = "held", _("Held")
    CANCELLED = "cancelled", _("Cancelled")


class MatchmakingEvent(models.Model):
    programme = models.ForeignKey(Programme, null=True, blank=True, on_delete=models.SET_NULL, related_name="events")
    title = models.CharField(_("title"), max_length=300, validators=SINGLE_LINE)
    fields = models.ManyToManyField("core.TechnicalField", verbose_name=_("theme fields"), blank=True)
    room = models.ForeignKey(Room, null=True, blank=True, on_delete=models.PROTECT, related_name="events")
    online = models.BooleanField(_("online"), default=False)
    starts_at = models.DateTimeField(_("starts at"), validators=DATE_RANGE)
    ends_at = models.DateTimeField(_("ends at"), validators=DATE_RANGE)
    meeting_minutes = models.PositiveSmallIntegerField(
        _("meeting length (minutes)"), default=20, validators=[MinValueValidator(5)]
    )
    breaks = models.JSONField(_("breaks"), default=list, blank=True, help_text="[[start, end], ...] as HH:MM")
    capacity = models.PositiveIntegerField(_("capacity"), default=100)
    tables = models.PositiveIntegerField(
        _("meeting tables"), default=20, validators=[MinValueValidator(1), MaxValueValidator(MAX_TABLES)]
    )
    organiser = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="organised_events")
    registration_deadline = models.DateTimeField(
        _("registration deadline"), null=True, blank=True, validators=DATE_RANGE
    )
    status = models.CharField(_("status"), max_length=20, choices=EventStatus.choices, default=EventStatus.DRAFT)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("matchmaking event")
        verbose_name_plural = _("matchmaking events")
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(name="event_ends_after_start", condition=Q(ends_at__gt=F("starts_at"))),
            models.CheckConstraint(name="event_has_tables", condition=Q(tables__gte=1)),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def status_label(self) -> str:
        """The status as a reader takes it: an open event past its deadline no longer takes
        registrations, and one that has ended is over even before the organiser marks it held."""
        from django.utils import timezone

        now = timezone.now()
        if self.status in (EventStatus.OPEN, EventStatus.CLOSED) and self.ends_at < now:
            return str(_("Ended"))
        if self.status == EventStatus.OPEN and self.registration_deadline and self.registration_deadline < now:
            return str(EventStatus.CLOSED.label)
        return self.get_status_display()


class Side(models.TextChoices):
    HOLDER = "holder", _("Achievement holder")
    ENTERPRISE = "enterprise", _("Enterprise")
    BROKER = "broker", _("Broker")


class Registration(models.Model):
    event = models.ForeignKey(MatchmakingEvent, on_delete=models.CASCADE, related_name="registrations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="registrations")
    side = models.CharField(_("side"), max_length=20, choices=Side.choices)
    availability = models.JSONField(
        _("availability windows"),
        default=list,
        blank=True,
        help_text="[[start, end], ...] as HH:MM; empty means the whole event",
    )
    max_meetings = models.PositiveSmallIntegerField(_("meetings at most"), default=6)
    # What the participant brings to the table: its own published achievements or needs
    achievements = models.ManyToManyField(
        "achievements.Achievement", verbose_name=_("achievements brought"), blank=True, related_name="+"
    )
    needs = models.ManyToManyField(
        "enterprises.TechnologyNeed", verbose_name=_("needs brought"), blank=True, related_name="+"
    )
    attendance_confirmed = models.BooleanField(default=False)
    checked_in = models.BooleanField(default=False)
    no_show = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        constraints = [models.UniqueConstraint(fields=["event", "user"], name="registration_unique_per_event")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.event}"


class RequestStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    EXPIRED = "expired", _("Expired")


class MeetingRequest(models.Model):
    event = models.ForeignKey(MatchmakingEvent, on_delete=models.CASCADE, related_name="requests")
    sender = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="sent_requests")
    receiver = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="received_requests")
    message = models.TextField(_("message"), blank=True, validators=long_text(NOTE_MAX))
    status = models.CharField(max_length=20, choices=RequestStatus.choices, default=RequestStatus.PENDING)
    recommended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        help_text="A broker who recommended this pair",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("meeting request")
        verbose_name_plural = _("meeting requests")
        constraints = [
            models.UniqueConstraint(fields=["sender", "receiver"], name="request_unique_pair"),
            models.CheckConstraint(name="request_not_to_self", condition=~Q(sender=F("receiver"))),
        ]

    def __str__(self) -> str:
        return f"{self.sender} -> {self.receiver} ({self.status})"


class MeetingStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    HELD = "held", _("Held")
    NO_SHOW = "no_show", _("No-show")
    CANCELLED = "cancelled", _("Cancelled")


class Outcome(models.TextChoices):
    NONE = "none", _("None")
    FOLLOW_UP = "follow_up", _("Follow-up")
    AGREEMENT = "agreement", _("Agreement reached")


class Meeting(models.Model):
    event = models.ForeignKey(MatchmakingEvent, on_delete=models.CASCADE, related_name="meetings")
    holder = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="meetings_as_holder")
    enterprise = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="meetings_as_enterprise")
    slot = models.PositiveSmallIntegerField()
    starts_at = models.DateTimeField()
    table = models.PositiveSmallIntegerField()
    value = models.FloatField(default=0)
    status = models.CharField(max_length=20, choices=MeetingStatus.choices, default=MeetingStatus.SCHEDULED)
    holder_rating = models.PositiveSmallIntegerField(null=True, blank=True)
    enterprise_rating = models.PositiveSmallIntegerField(null=True, blank=True)
    holder_outcome = models.CharField(max_length=20, choices=Outcome.choices, default=Outcome.NONE)
    enterprise_outcome = models.CharField(max_length=20, choices=Outcome.choices, default=Outcome.NONE)

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["event_id", "slot", "table"]
        constraints = [
            models.UniqueConstraint(fields=["event", "holder", "enterprise"], name="meeting_pair_once"),
            models.UniqueConstraint(
                fields=["event", "slot", "table"], condition=Q(status="scheduled"), name="meeting_table_free"
            ),
            # nobody is in two meetings at once, whichever code path writes them
            models.UniqueConstraint(
                fields=["event", "slot", "holder"], condition=Q(status="scheduled"), name="meeting_holder_free"
            ),
            models.UniqueConstraint(
                fields=["event", "slot", "enterprise"], condition=Q(status="scheduled"), name="meeting_enterprise_free"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} slot {self.slot} table {self.table}"


class NotificationKind(models.TextChoices):
    REGISTRATION_CLOSING = "registration_closing", _("Registration closing")
    AGENDA = "agenda", _("Your agenda")
    DAY_BEFORE = "day_before", _("The day before")
    FEEDBACK = "feedback", _("Feedback request")
    FOLLOW_UP = "follow_up", _("Follow-up survey")


class Notification(models.Model):
    """One message sent to one participant; the unique key makes every reminder go out once."""

    registration = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=30, choices=NotificationKind.choices)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("reminder sent")
        verbose_name_plural = _("reminders sent")
        constraints = [models.UniqueConstraint(fields=["registration", "kind"], name="notification_once")]

    def __str__(self) -> str:
        return f"{self.kind} -> {self.registration}"


class FollowUpSurvey(models.Model):
    """Asked some months after the event: did anything come of the meetings?"""

    registration = models.OneToOneField(Registration, on_delete=models.CASCADE, related_name="survey")
    answered_at = models.DateTimeField(null=True, blank=True)
    contract_signed = models.BooleanField(null=True)
    still_in_contact = models.BooleanField(null=True)
    comments = models.TextField(blank=True)

    class Meta:
        verbose_name = _("follow-up survey")
        verbose_name_plural = _("follow-up surveys")

    def __str__(self) -> str:
        return f"survey {self.registration}"
