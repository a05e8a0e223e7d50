"""Reads of matches and suggestions, filtered to what a user may see."""

from django.db.models import Q, QuerySet

from accounts.models import Role
from achievements.models import AchievementStatus
from enterprises.models import Confidentiality, NeedStatus

from .models import ExpertSuggestion, Match


def matches_visible_to(user) -> QuerySet[Match]:
    """Brokers and admins: every match. An enterprise: matches of its own needs, with
    published achievements only. An institution: matches of its own achievements, with
    published public needs only. Organisers: none."""
    queryset = Match.objects.all()
    if user.is_platform_admin or user.role == Role.BROKER:
        return queryset
    if user.role == Role.ENTERPRISE and user.enterprise_id:
        return queryset.filter(need__enterprise_id=user.enterprise_id, achievement__status=AchievementStatus.PUBLISHED)
    if user.role == Role.INSTITUTION and user.institution_id:
        return queryset.filter(
            achievement__institution_id=user.institution_id,
            need__status=NeedStatus.PUBLISHED,
            need__confidentiality=Confidentiality.PUBLIC,
        )
    return queryset.none()


def match_list(*, user) -> QuerySet[Match]:
    return matches_visible_to(user).select_related(
        "need__enterprise", "need__field", "achievement__institution", "achievement__field", "broker"
    )


def can_work_match(user) -> bool:
    return user.is_platform_admin or user.role == Role.BROKER


def expert_suggestions_for(need) -> QuerySet[ExpertSuggestion]:
    return ExpertSuggestion.objects.filter(need=need).select_related("expert__institution", "expert__field")


def broker_inbox(*, user, assigned: str) -> QuerySet[Match]:
    queryset = match_list(user=user)
    if assigned == "me":
        queryset = queryset.filter(broker=user)
    elif assigned == "unassigned":
        queryset = queryset.filter(broker__isnull=True)
    return queryset.filter(~Q(stage__in=["declined", "withdrawn"])) if assigned == "me" else queryset
