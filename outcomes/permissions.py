"""Who may see and do what with outcomes."""

from django.db.models import Q, QuerySet

from accounts.models import Role
from enterprises.selectors import needs_visible_to

from .models import Bid, Challenge, ChallengeStage, TechnologyContract, UseFirstLicence

PUBLIC_STAGES = (ChallengeStage.PUBLISHED, ChallengeStage.EVALUATING, ChallengeStage.AWARDED, ChallengeStage.CONTRACTED)


def is_committee(user) -> bool:
    """The city's challenge committee: organisers and platform admins."""
    return bool(user and user.is_authenticated and (user.is_platform_admin or user.role == Role.ORGANISER))


def can_report(user) -> bool:
    return is_committee(user)


def challenges_visible_to(user) -> QuerySet[Challenge]:
    queryset = Challenge.objects.select_related("need__enterprise", "need__field")
    if is_committee(user):
        return queryset
    # public stages, and only while its need is one the reader may see (a "brokers only" need
    # is made public when its challenge is published, with the enterprise's consent)
    visible = Q(stage__in=PUBLIC_STAGES, need__in=needs_visible_to(user).values("pk"))
    if user.role == Role.ENTERPRISE and user.enterprise_id:
        visible |= Q(need__enterprise_id=user.enterprise_id)
    return queryset.filter(visible)


def bidding_open(challenge: Challenge) -> bool:
    return challenge.stage in (ChallengeStage.SUBMITTED, ChallengeStage.APPROVED, ChallengeStage.PUBLISHED)


def challenge_history_visible(user, challenge: Challenge, entries) -> list:
    """The challenge's audit trail: the committee sees all of it; the challenge's enterprise
    sees it without who bid (and the bid ids) until bidding closes."""
    if is_committee(user) or not bidding_open(challenge):
        return list(entries)
    return [e for e in entries if not e.action.startswith("challenge.bid")]


def bids_visible_to(user, challenge: Challenge) -> QuerySet[Bid]:
    """The committee sees every bid; the challenge's enterprise and its reviewers once bidding
    has closed; an institution only its own."""
    queryset = challenge.bids.select_related("institution").prefetch_related("attachments")
    if is_committee(user):
        return queryset
    after_close = challenge.stage not in (ChallengeStage.SUBMITTED, ChallengeStage.APPROVED, ChallengeStage.PUBLISHED)
    if after_close and user.role == Role.ENTERPRISE and user.enterprise_id == challenge.need.enterprise_id:
        return queryset
    if after_close and challenge.reviewers.filter(reviewer=user).exists():
        return queryset
    if user.role == Role.INSTITUTION and user.institution_id:
        return queryset.filter(institution_id=user.institution_id)
    return queryset.none()


def contracts_visible_to(user) -> QuerySet[TechnologyContract]:
    """Parties, the broker and their agency, and the committee."""
    queryset = TechnologyContract.objects.select_related(
        "institution", "enterprise", "field", "district", "broker", "agency"
    )
    if is_committee(user):
        return queryset
    visible = Q(broker=user)
    if user.role == Role.INSTITUTION and user.institution_id:
        visible |= Q(institution_id=user.institution_id)
    if user.role == Role.ENTERPRISE and user.enterprise_id:
        visible |= Q(enterprise_id=user.enterprise_id)
    if user.role == Role.BROKER and user.agency_id:
        visible |= Q(agency_id=user.agency_id)
    return queryset.filter(visible)


def licences_visible_to(user) -> QuerySet[UseFirstLicence]:
    contracts = contracts_visible_to(user)
    return UseFirstLicence.objects.filter(contract__in=contracts.values("pk")).select_related(
        "contract__institution", "contract__enterprise"
    )


def is_contract_party(user, contract: TechnologyContract) -> bool:
    return (user.role == Role.INSTITUTION and user.institution_id == contract.institution_id) or (
        user.role == Role.ENTERPRISE and user.enterprise_id == contract.enterprise_id
    )


def may_act_on_licence(user, licence: UseFirstLicence, step: str) -> bool:
    """Each party records its own step, the other is told: the enterprise, which uses the
    technology, records the evaluation ("evaluate": keep and pay, or hand back); the institution,
    which is paid, records the payment ("paid"). The contract's broker and the committee may
    record either."""
    contract = licence.contract
    if is_committee(user) or contract.broker_id == user.pk:
        return True
    if step == "evaluate":
        return (
            user.role == Role.ENTERPRISE and bool(user.enterprise_id) and user.enterprise_id == contract.enterprise_id
        )
    return (
        user.role == Role.INSTITUTION and bool(user.institution_id) and user.institution_id == contract.institution_id
    )
