"""Reads of institutions, experts and achievements, filtered to what a user may see."""

from django.db.models import Q, QuerySet

from accounts.models import Role

from .models import Achievement, AchievementStatus, Expert, Institution


def achievements_visible_to(user) -> QuerySet[Achievement]:
    """Published achievements for every signed-in user; an institution's members also see
    its drafts and archive; platform admins see everything."""
    queryset = Achievement.objects.all()
    if user.is_platform_admin:
        return queryset
    visible = Q(status=AchievementStatus.PUBLISHED)
    if user.role == Role.INSTITUTION and user.institution_id:
        visible |= Q(institution_id=user.institution_id)
    return queryset.filter(visible)


def can_see_achievement(user, achievement: Achievement) -> bool:
    """The per-object form of `achievements_visible_to`: the same rule, for one achievement."""
    return achievement is not None and achievements_visible_to(user).filter(pk=achievement.pk).exists()


def achievement_list(*, user) -> QuerySet[Achievement]:
    return (
        achievements_visible_to(user)
        .select_related("institution", "field")
        .prefetch_related("transfer_modes", "patents")
    )


def can_edit_achievement(user, achievement: Achievement) -> bool:
    if user.is_platform_admin:
        return True
    return user.role == Role.INSTITUTION and user.institution_id == achievement.institution_id


def can_edit_institution(user, institution: Institution) -> bool:
    if user.is_platform_admin:
        return True
    return user.role == Role.INSTITUTION and user.institution_id == institution.pk


def institution_list() -> QuerySet[Institution]:
    return Institution.objects.select_related("district")


def expert_list() -> QuerySet[Expert]:
    return Expert.objects.select_related("institution", "field")


def can_edit_expert(user, expert: Expert) -> bool:
    return can_edit_institution(user, expert.institution)
