"""Reads of programmes, events, registrations and meetings, filtered to what a user may see."""

from django.db.models import Q, QuerySet

from accounts.models import Role

from .models import EventStatus, MatchmakingEvent, Meeting, MeetingRequest, Programme, Registration


def is_organiser(user) -> bool:
    return user.is_platform_admin or user.role == Role.ORGANISER


def programmes_visible_to(user) -> QuerySet[Programme]:
    """An organiser's own programmes (platform admins: all)."""
    queryset = Programme.objects.select_related("organiser").prefetch_related("themes__field")
    if user.is_authenticated and user.is_platform_admin:
        return queryset
    return queryset.filter(organiser=user) if is_organiser(user) else queryset.none()


def events_visible_to(user) -> QuerySet[MatchmakingEvent]:
    """Organisers: their own events (admins: all). Everyone: events open for registration and
    events they are registered for (brokers see the events they attend)."""
    queryset = MatchmakingEvent.objects.select_related("room__venue", "organiser").prefetch_related("fields")
    if user.is_platform_admin:
        return queryset
    visible = Q(status__in=[EventStatus.OPEN, EventStatus.CLOSED, EventStatus.HELD]) | Q(registrations__user=user)
    if user.role == Role.ORGANISER:
        visible |= Q(organiser=user)
    return queryset.filter(visible).distinct()


def can_manage_event(user, event: MatchmakingEvent) -> bool:
    return user.is_platform_admin or event.organiser_id == user.pk


def registrations_visible_to(user) -> QuerySet[Registration]:
    """Who takes part: the organiser sees every registration of their events; a participant (or
    a broker) sees the registrations of the events it is itself registered for, never those of
    an event it has not joined (they answer as missing: no count of who registered)."""
    queryset = Registration.objects.select_related("event", "user")
    if user.is_platform_admin:
        return queryset
    joined = Registration.objects.filter(user=user).values("event_id")
    return queryset.filter(Q(event__organiser=user) | Q(event_id__in=joined))


def meetings_visible_to(user, event: MatchmakingEvent) -> QuerySet[Meeting]:
    queryset = event.meetings.select_related("holder__user", "enterprise__user")
    if can_manage_event(user, event):
        return queryset
    return queryset.filter(Q(holder__user=user) | Q(enterprise__user=user))


def meetings_visible_to_user(user) -> QuerySet[Meeting]:
    """Every meeting `user` may see, across events: their own, and those of events they organise."""
    queryset = Meeting.objects.select_related("event", "holder__user", "enterprise__user")
    if user.is_platform_admin:
        return queryset
    return queryset.filter(Q(holder__user=user) | Q(enterprise__user=user) | Q(event__organiser=user))


def requests_visible_to(user) -> QuerySet[MeetingRequest]:
    # newest first, and a stable order so that pages neither repeat nor skip a request
    queryset = MeetingRequest.objects.select_related("sender__user", "receiver__user", "event").order_by(
        "-created_at", "-id"
    )
    if user.is_platform_admin:
        return queryset
    return queryset.filter(
        Q(sender__user=user) | Q(receiver__user=user) | Q(event__organiser=user) | Q(recommended_by=user)
    )


def on_the_day(event: MatchmakingEvent) -> dict:
    """The door's figures for the organiser: check-ins, absences, meetings freed by no-shows and
    how many of the freed tables were offered again (two grouped queries)."""
    from django.db.models import Count

    people = event.registrations.aggregate(
        registered=Count("id"),
        checked_in=Count("id", filter=Q(checked_in=True)),
        no_show=Count("id", filter=Q(no_show=True)),
    )
    meetings = event.meetings.aggregate(
        scheduled=Count("id", filter=Q(status="scheduled")),
        freed=Count("id", filter=Q(status="no_show")),
        cancelled=Count("id", filter=Q(status="cancelled")),
    )
    return {**people, **meetings}


def filter_events(queryset: QuerySet[MatchmakingEvent], filters: dict) -> QuerySet[MatchmakingEvent]:
    """`filters` from `EventFilterForm.filters()`; upcoming events soonest first, past ones latest first."""

    from django.utils import timezone

    now = timezone.now()
    if filters.get("q"):
        words = filters["q"]
        queryset = queryset.filter(
            Q(title__icontains=words) | Q(room__venue__name__icontains=words) | Q(room__name__icontains=words)
        )
    if filters.get("field"):
        queryset = queryset.filter(fields=filters["field"])
    if filters.get("month"):
        first = filters["month"]
        following = (
            first.replace(year=first.year + 1, month=1) if first.month == 12 else first.replace(month=first.month + 1)
        )
        queryset = queryset.filter(starts_at__date__gte=first, starts_at__date__lt=following)
    if filters.get("status"):
        queryset = queryset.filter(_status_as_read(filters["status"], now))
    when = filters.get("when", "upcoming")
    if when == "upcoming":
        return queryset.filter(ends_at__gte=now).order_by("starts_at", "pk")
    if when == "past":
        return queryset.filter(ends_at__lt=now).order_by("-starts_at", "-pk")
    return queryset.order_by("-starts_at", "-pk")


def _status_as_read(status: str, now) -> Q:
    """The events whose `status_label` reads as `status`: an open event past its deadline reads
    'registration closed', and an open or closed one that has ended 'ended' (listed under Past)."""
    deadline_passed = Q(registration_deadline__isnull=False, registration_deadline__lt=now)
    if status == EventStatus.OPEN:
        return Q(status=EventStatus.OPEN, ends_at__gte=now) & ~deadline_passed
    if status == EventStatus.CLOSED:
        return (Q(status=EventStatus.CLOSED) | (Q(status=EventStatus.OPEN) & deadline_passed)) & Q(ends_at__gte=now)
    return Q(status=status)
