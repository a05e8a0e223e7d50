"""Reads of matches and suggestions, filtered to what a user may see."""

from django.db.models import Q, QuerySet

from accounts.models import Role
from achievements.selectors import achievements_visible_to
from enterprises.selectors import needs_visible_to

from .models import ExpertSuggestion, Interest, Match


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
    return conflicted_with(broker, achievement.institution_id)


def conflicted_with(broker, institution_id) -> bool:
    """The one rule of conflict of interest: the broker's agency is this institution's own office."""
    agency = getattr(broker, "agency", None)
    return bool(agency is not None and agency.institution_id and agency.institution_id == institution_id)


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


def interests_to_follow(user) -> QuerySet[Interest]:
    """The interest a broker has not followed up yet (an admin: everyone's), oldest first."""
    queryset = (
        Interest.objects.filter(followed_up_at__isnull=True)
        .select_related("author", "institution", "enterprise", "need__enterprise", "achievement__institution")
        .order_by("created_at", "id")
    )
    if user.is_platform_admin:
        return queryset
    return _naming_visible(queryset.filter(broker=user), user) if user.role == Role.BROKER else queryset.none()


def interests_visible_to(user) -> QuerySet[Interest]:
    """Its organisation's members see an interest, and the broker it went to; admins all. An interest names a need
    and an achievement: once the reader may no longer see one of them (made confidential, taken
    back to draft, archived), the interest is gone for them too, as a hidden record is."""
    queryset = Interest.objects.select_related(
        "author", "institution", "enterprise", "need__enterprise", "achievement__institution"
    )
    if user.is_platform_admin:
        return queryset
    mine = Q(author=user) | Q(broker=user)
    if user.role == Role.INSTITUTION and user.institution_id:
        mine |= Q(on_kind="need", institution_id=user.institution_id)
    elif user.role == Role.ENTERPRISE and user.enterprise_id:
        mine |= Q(on_kind="achievement", enterprise_id=user.enterprise_id)
    return _naming_visible(queryset.filter(mine), user)


def _naming_visible(queryset: QuerySet[Interest], user) -> QuerySet[Interest]:
    return queryset.filter(
        Q(need__isnull=True) | Q(need__in=needs_visible_to(user).values("pk")),
        Q(achievement__isnull=True) | Q(achievement__in=achievements_visible_to(user).values("pk")),
    )


def interest_rules(user) -> tuple[str, QuerySet, QuerySet] | None:
    """What this reader may express interest in and what it may offer, as (on_kind, records of
    interest, its own records to offer), or None: an institution's member takes interest in
    published public needs and offers its institution's published achievements; an enterprise's
    member the other way round. The one rule for the form, the service and the API."""
    from achievements.models import AchievementStatus
    from enterprises.models import Confidentiality, NeedStatus

    if user.role == Role.INSTITUTION and user.institution_id:
        return (
            "need",
            needs_visible_to(user).filter(status=NeedStatus.PUBLISHED, confidentiality=Confidentiality.PUBLIC),
            user.institution.achievements.filter(status=AchievementStatus.PUBLISHED),
        )
    if user.role == Role.ENTERPRISE and user.enterprise_id:
        return (
            "achievement",
            achievements_visible_to(user).filter(status=AchievementStatus.PUBLISHED),
            user.enterprise.needs.filter(status=NeedStatus.PUBLISHED),
        )
    return None


def organisation_interest(user, on_kind: str, record) -> Interest | None:
    """The interest the reader's organisation (any member) already expressed in this record."""
    speaks_for = {"institution_id": user.institution_id} if on_kind == "need" else {"enterprise_id": user.enterprise_id}
    return Interest.objects.filter(on_kind=on_kind, **{on_kind: record}, **speaks_for).select_related("author").first()


def interest_offer(user, *, need=None, achievement=None) -> dict | None:
    """What an "express interest" form on this record offers this reader, or None where it has
    none. `existing` is its organisation's earlier interest, `offers` its own published records."""
    rules = interest_rules(user)
    record = need if need is not None else achievement
    if rules is None or record is None or rules[0] != ("need" if need is not None else "achievement"):
        return None
    on_kind, records, offers = rules
    if not records.filter(pk=record.pk).exists():
        return None
    existing = organisation_interest(user, on_kind, record)
    return {"existing": existing, "offers": [] if existing else list(offers.order_by("-pk").only("pk", "title")[:100])}


PARTY_NOTES = ("introduction_request", "meeting_request", "interest")


def flag_requests(queryset: QuerySet[Match]) -> QuerySet[Match]:
    """Each match annotated `flagged` (1 or 0): a party asked for an introduction or a meeting,
    or expressed interest, and the broker has not introduced them yet."""
    from django.db.models import Case, Exists, IntegerField, OuterRef, Value, When

    from .models import MatchNote

    asked = MatchNote.objects.filter(match=OuterRef("pk"), kind__in=PARTY_NOTES)
    return queryset.annotate(
        flagged=Case(
            When(Exists(asked) & Q(stage__in=("suggested", "shortlisted")), then=Value(1)),
            default=Value(0),
            output_field=IntegerField(),
        )
    )


def in_district(queryset: QuerySet[Match], code: str) -> QuerySet[Match]:
    """Matches whose need is for this district: the need's own region, or its enterprise's district
    where the need names no region (the web inbox and the API mean the same)."""
    return queryset.filter(
        Q(need__region__code=code) | Q(need__region__isnull=True, need__enterprise__district__code=code)
    )


NEEDS_PER_PAGE = 10
MATCHES_PER_NEED = 5


def inbox_by_need(queryset: QuerySet[Match], page_number, *, per_need: int | None = MATCHES_PER_NEED):
    """The inbox a need at a time: needs with a party's request or interest first, then by their
    best match; under each, its flagged matches and its best `per_need` (None: all). Four queries
    whatever the page holds."""
    from django.core.paginator import Paginator
    from django.db.models import Count, Max, Sum

    flagged = flag_requests(queryset)
    needs = (
        flagged.values("need_id")
        .annotate(flags=Sum("flagged"), best=Max("score"), total=Count("id"))
        .order_by("-flags", "-best", "need_id")
    )
    page = Paginator(needs, NEEDS_PER_PAGE).get_page(page_number)
    rows = {row["need_id"]: row for row in page}
    matches = (
        flagged.filter(need_id__in=list(rows))
        .select_related("need__enterprise", "achievement__institution")
        .order_by("-flagged", "-score", "id")
    )
    grouped: dict[int, list] = {}
    for match in matches:
        shown = grouped.setdefault(match.need_id, [])
        if match.flagged or per_need is None or len(shown) < per_need:
            shown.append(match)
    groups = [
        {"need": grouped[need_id][0].need, "matches": grouped[need_id], **rows[need_id]}
        for need_id in rows
        if need_id in grouped
    ]
    return page, groups
