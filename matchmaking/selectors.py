"""Reads of matches and suggestions, filtered to what a user may see."""

from django.db.models import Q, QuerySet

from accounts.models import Role
from achievements.selectors import achievements_visible_to
from enterprises.selectors import needs_visible_to

from .models import ExpertSuggestion, Match


def matches_visible_to(user) -> QuerySet[Match]:
    """A match shows a need and an achievement, so it is visible only to someone who may see
    both (`needs_visible_to`, `achievements_visible_to`: the one rule for each). Within that:
    brokers see every match (they work the pipeline), an enterprise the matches of its own
    needs, an institution those of its own achievements; organisers none; admins all."""
    queryset = Match.objects.all()
    if user.is_platform_admin:
        return queryset
    if user.role not in (Role.BROKER, Role.ENTERPRISE, Role.INSTITUTION):
        return queryset.none()
    queryset = queryset.filter(
        need__in=needs_visible_to(user).values("pk"), achievement__in=achievements_visible_to(user).values("pk")
    )
    if user.role == Role.BROKER:
        return queryset
    if user.role == Role.ENTERPRISE and user.enterprise_id:
        return queryset.filter(need__enterprise_id=user.enterprise_id)
    if user.role == Role.INSTITUTION and user.institution_id:
        return queryset.filter(achievement__institution_id=user.institution_id)
    return queryset.none()


def renderable_matches(user, queryset: QuerySet[Match]) -> QuerySet[Match]:
    """Matches whose need and achievement `user` may both see, whoever owns them: for the
    places that show a match's titles to someone who is not working it (an organiser's invite
    suggestions, a participant's agenda)."""
    if user.is_platform_admin:
        return queryset
    return queryset.filter(
        need__in=needs_visible_to(user).values("pk"), achievement__in=achievements_visible_to(user).values("pk")
    )


def match_list(*, user) -> QuerySet[Match]:
    return matches_visible_to(user).select_related(
        "need__enterprise", "need__field", "achievement__institution", "achievement__field", "broker"
    )


def can_work_match(user) -> bool:
    """May this user work matches at all (brokers, admins)? See `may_work_match` for one match."""
    return user.is_platform_admin or user.role == Role.BROKER


def has_conflict(broker, achievement) -> bool:
    """A broker whose agency is the achievement's own institution's transfer office."""
    agency = getattr(broker, "agency", None)
    return bool(agency is not None and agency.institution_id and agency.institution_id == achievement.institution_id)


def may_work_match(user, match: Match) -> bool:
    """Moving, annotating, introducing and recording the contract of a match: platform admins
    any match; a broker only the matches assigned to them (agencies do not share cases), and
    never one where their agency belongs to the achievement's institution."""
    if user.is_platform_admin:
        return True
    return user.role == Role.BROKER and match.broker_id == user.pk and not has_conflict(user, match.achievement)


def expert_suggestions_for(need) -> QuerySet[ExpertSuggestion]:
    return ExpertSuggestion.objects.filter(need=need).select_related("expert__institution", "expert__field")


def broker_inbox(*, user, assigned: str) -> QuerySet[Match]:
    queryset = match_list(user=user)
    if assigned == "me":
        queryset = queryset.filter(broker=user)
    elif assigned == "unassigned":
        queryset = queryset.filter(broker__isnull=True)
    return queryset.filter(~Q(stage__in=["declined", "withdrawn"])) if assigned == "me" else queryset
