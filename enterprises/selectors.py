"""Reads of enterprises and needs, filtered to what a user may see."""

from django.db.models import Q, QuerySet

from accounts.models import Role

from .models import Confidentiality, Enterprise, NeedStatus, TechnologyNeed


def needs_visible_to(user) -> QuerySet[TechnologyNeed]:
    """Published public needs for every signed-in user; brokers also see "brokers only"
    needs; an enterprise's members see all of their own; platform admins see everything."""
    queryset = TechnologyNeed.objects.all()
    if user.is_platform_admin:
        return queryset
    visible = Q(status=NeedStatus.PUBLISHED, confidentiality=Confidentiality.PUBLIC)
    if user.role == Role.BROKER:
        visible = Q(status=NeedStatus.PUBLISHED)
    if user.role == Role.ENTERPRISE and user.enterprise_id:
        visible |= Q(enterprise_id=user.enterprise_id)
    return queryset.filter(visible)


def need_audiences_for(user) -> tuple[str, ...] | None:
    """The confidentiality levels to ask the matching index for (None: all), so that needs the
    reader may not see do not take the candidates' places. A pre-filter only, never narrower than
    `needs_visible_to`, which still decides."""
    if user.is_platform_admin or user.role in (Role.BROKER, Role.ENTERPRISE):
        return None
    return (Confidentiality.PUBLIC,)


def can_see_need(user, need: TechnologyNeed) -> bool:
    """The per-object form of `needs_visible_to`: the same rule, for one need."""
    return need is not None and needs_visible_to(user).filter(pk=need.pk).exists()


def need_list(*, user) -> QuerySet[TechnologyNeed]:
    return needs_visible_to(user).select_related("enterprise", "field", "region").prefetch_related("cooperation_modes")


def can_edit_need(user, need: TechnologyNeed) -> bool:
    if user.is_platform_admin:
        return True
    return user.role == Role.ENTERPRISE and user.enterprise_id == need.enterprise_id


def can_edit_enterprise(user, enterprise: Enterprise) -> bool:
    if user.is_platform_admin:
        return True
    return user.role == Role.ENTERPRISE and user.enterprise_id == enterprise.pk


def enterprise_list() -> QuerySet[Enterprise]:
    return Enterprise.objects.select_related("industry", "district")
