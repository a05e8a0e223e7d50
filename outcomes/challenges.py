"""The 揭榜挂帅 workflow: intake -> committee screening -> publication -> bids -> review ->
award -> contract. Every step checks who may take it, is audited, and tells the people concerned."""

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import Role, User
from core import audit
from enterprises.models import Confidentiality, NeedStatus, TechnologyNeed
from notifications.kinds import Kind
from notifications.services import notify

from .models import (
    Bid,
    BidAttachment,
    BidStatus,
    Challenge,
    ChallengeStage,
    Review,
    ReviewerAssignment,
    default_criteria,
)
from .permissions import is_committee

MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
ATTACHMENT_TYPES = (".pdf", ".docx", ".doc", ".xlsx", ".pptx", ".png", ".jpg", ".jpeg", ".zip")


def _committee_members():
    return User.objects.filter(role__in=[Role.ORGANISER, Role.ADMIN], is_active=True)


def _enterprise_members(need):
    return need.enterprise.members.filter(is_active=True)


def _locked(challenge: Challenge, allowed: tuple, message: str) -> Challenge:
    locked = Challenge.objects.select_for_update().select_related("need__enterprise").get(pk=challenge.pk)
    if locked.stage not in allowed:
        raise ValidationError({"stage": message})
    return locked


def _move(challenge: Challenge, actor, to: str, **detail) -> Challenge:
    audit.record(actor, f"challenge.{to}", challenge, from_stage=challenge.stage, **detail)
    challenge.stage = to
    challenge.save()
    return challenge


def _validate_criteria(criteria) -> list[dict]:
    if not isinstance(criteria, list) or not criteria:
        raise ValidationError({"criteria": _("Give at least one criterion.")})
    codes = set()
    for item in criteria:
        if not isinstance(item, dict) or not str(item.get("code", "")).strip() or not item.get("name"):
            raise ValidationError({"criteria": _("Each criterion needs a code and a name.")})
        weight = item.get("weight")
        if not isinstance(weight, int | float) or isinstance(weight, bool) or weight <= 0:
            raise ValidationError({"criteria": _("Each criterion needs a weight above zero.")})
        codes.add(item["code"])
    if len(codes) != len(criteria):
        raise ValidationError({"criteria": _("Criterion codes must be different.")})
    return [{"code": str(c["code"]), "name": str(c["name"]), "weight": c["weight"]} for c in criteria]


@transaction.atomic
def challenge_submit(*, actor, need: TechnologyNeed, criteria=None, public_consent: bool = False) -> Challenge:
    """Intake: the enterprise (or the city, for its own lists) submits a challenge need. A
    published challenge is public, so a "brokers only" need needs the explicit consent to be
    published (`public_consent`); the committee sees it when screening."""
    if not (is_committee(actor) or (actor.role == Role.ENTERPRISE and actor.enterprise_id == need.enterprise_id)):
        raise PermissionDenied(_("Only the enterprise that posted the need, or the committee, can submit it."))
    if not need.is_challenge:
        raise ValidationError({"need": _("Mark the need as a 揭榜挂帅 challenge, with award and closing date, first.")})
    if need.status not in (NeedStatus.DRAFT, NeedStatus.PUBLISHED):
        raise ValidationError({"need": _("A closed or archived need cannot become a challenge.")})
    if Challenge.objects.filter(need=need).exists():
        raise ValidationError({"need": _("This need has already been submitted as a challenge.")})
    if need.confidentiality == Confidentiality.BROKERS and not public_consent:
        raise ValidationError(
            {
                "public_consent": _(
                    "This need is shown to brokers only, and a published challenge is public: "
                    "agree to publish it (public_consent), or make the need public first."
                )
            }
        )
    challenge = Challenge.objects.create(
        need=need,
        public_consent=bool(public_consent),
        award=need.challenge_award,
        closes_on=need.challenge_closes_on,
        criteria=_validate_criteria(criteria) if criteria is not None else default_criteria(),
        submitted_by=actor,
    )
    audit.record(actor, "challenge.submitted", challenge, need=need.pk)
    notify(
        _committee_members(),
        kind=Kind.CHALLENGE,
        subject=gettext_noop("New 揭榜挂帅 challenge to screen: %(title)s"),
        body=gettext_noop("%(enterprise)s submitted “%(title)s” (award %(award)s ×10k CNY). Please screen it."),
        url=reverse("web-challenge-detail", args=[challenge.pk]),
        title=need.title,
        enterprise=need.enterprise.name,
        award=challenge.award,
    )
    return challenge


@transaction.atomic
def challenge_screen(*, actor, challenge: Challenge, approve: bool, note: str = "") -> Challenge:
    if not is_committee(actor):
        raise PermissionDenied(_("Only the committee screens challenges."))
    challenge = _locked(challenge, (ChallengeStage.SUBMITTED,), _("Only a submitted challenge can be screened."))
    note = (note or "").strip()
    if not approve and not note:
        raise ValidationError({"note": _("Say why the challenge is rejected.")})
    challenge.screening_note = note
    challenge = _move(challenge, actor, ChallengeStage.APPROVED if approve else ChallengeStage.REJECTED, note=note)
    if approve:
        subject = gettext_noop("Your challenge was approved: %(title)s")
        body = gettext_noop("The committee approved “%(title)s”. It will be published for bids. %(note)s")
    else:
        subject = gettext_noop("Your challenge was not approved: %(title)s")
        body = gettext_noop("The committee did not approve “%(title)s”. Reason: %(note)s")
    notify(
        _enterprise_members(challenge.need),
        kind=Kind.CHALLENGE,
        subject=subject,
        body=body,
        url=reverse("web-challenge-detail", args=[challenge.pk]),
        title=challenge.need.title,
        note=note,
    )
    return challenge


@transaction.atomic
def challenge_publish(*, actor, challenge: Challenge, award=None, closes_on=None) -> Challenge:
    if not is_committee(actor):
        raise PermissionDenied(_("Only the committee publishes challenges."))
    challenge = _locked(challenge, (ChallengeStage.APPROVED,), _("Only an approved challenge can be published."))
    if award is not None:
        if Decimal(award) <= 0:
            raise ValidationError({"award": _("The award must be above zero.")})
        challenge.award = award
    if closes_on is not None:
        challenge.closes_on = closes_on
    if challenge.closes_on <= timezone.localdate():
        raise ValidationError({"closes_on": _("The closing date must be in the future.")})
    need = challenge.need
    fields = ["challenge_award", "challenge_closes_on", "updated_at"]
    if need.confidentiality == Confidentiality.BROKERS:
        if not challenge.public_consent:
            raise ValidationError(
                {"need": _("The need is shown to brokers only and its enterprise has not agreed to publish it.")}
            )
        need.confidentiality = Confidentiality.PUBLIC  # the enterprise agreed at submission
        fields.append("confidentiality")
    challenge.published_at = timezone.now()
    need.challenge_award, need.challenge_closes_on = challenge.award, challenge.closes_on
    if need.status == NeedStatus.DRAFT:
        need.status, need.published_at = NeedStatus.PUBLISHED, timezone.now()
        fields += ["status", "published_at"]
    need.save(update_fields=fields)
    from matchmaking.hooks import records_changed

    records_changed("need", [need.pk])
    challenge = _move(challenge, actor, ChallengeStage.PUBLISHED, award=str(challenge.award))
    notify(
        _enterprise_members(need),
        kind=Kind.CHALLENGE,
        subject=gettext_noop("Your challenge is open for bids: %(title)s"),
        body=gettext_noop("“%(title)s” is published; bids close on %(closes)s."),
        url=reverse("web-challenge-detail", args=[challenge.pk]),
        title=need.title,
        closes=challenge.closes_on.isoformat(),
    )
    return challenge


@transaction.atomic
def challenge_close(*, actor, challenge: Challenge) -> Challenge:
    """Bidding ends (on the closing date, or early by the committee); review starts."""
    if actor is not None and not is_committee(actor):
        raise PermissionDenied(_("Only the committee closes bidding."))
    challenge = _locked(challenge, (ChallengeStage.PUBLISHED,), _("Only a published challenge can be closed."))
    return _move(challenge, actor, ChallengeStage.EVALUATING)


def close_due_challenges(today=None) -> int:
    """Beat: challenges whose closing date has passed stop taking bids. Safe to repeat."""
    today = today or timezone.localdate()
    closed = 0
    for challenge in Challenge.objects.filter(stage=ChallengeStage.PUBLISHED, closes_on__lt=today):
        try:
            challenge_close(actor=None, challenge=challenge)
            closed += 1
        except ValidationError:
            continue  # closed meanwhile by someone else
    return closed


@transaction.atomic
def challenge_cancel(*, actor, challenge: Challenge, note: str) -> Challenge:
    if not is_committee(actor):
        raise PermissionDenied(_("Only the committee cancels challenges."))
    if not (note or "").strip():
        raise ValidationError({"note": _("Say why the challenge is cancelled.")})
    open_stages = (
        ChallengeStage.SUBMITTED,
        ChallengeStage.APPROVED,
        ChallengeStage.PUBLISHED,
        ChallengeStage.EVALUATING,
    )
    challenge = _locked(challenge, open_stages, _("An awarded, contracted or closed challenge cannot be cancelled."))
    return _move(challenge, actor, ChallengeStage.CANCELLED, note=note.strip())


# -- bids ----------------------------------------------------------------------------------------


@transaction.atomic
def bid_submit(
    *, actor, challenge: Challenge, team_name: str, proposal: str, budget, timeline_months: int, team_members=()
) -> Bid:
    if actor.role != Role.INSTITUTION or not actor.institution_id:
        raise PermissionDenied(_("Only members of a university or institute can bid."))
    challenge = Challenge.objects.select_for_update().get(pk=challenge.pk)
    if challenge.stage != ChallengeStage.PUBLISHED or challenge.closes_on < timezone.localdate():
        raise ValidationError({"challenge": _("This challenge is not open for bids.")})
    if not (team_name or "").strip() or not (proposal or "").strip():
        raise ValidationError({"proposal": _("A bid needs a team name and a proposal.")})
    members = [str(m).strip() for m in team_members if str(m).strip()]
    bid = Bid(
        challenge=challenge,
        institution_id=actor.institution_id,
        team_name=team_name.strip(),
        team_members=members,
        proposal=proposal.strip(),
        budget=budget,
        timeline_months=timeline_months,
        submitted_by=actor,
    )
    bid.full_clean(exclude=["challenge", "institution"])
    if Bid.objects.filter(challenge=challenge, institution_id=actor.institution_id, team_name=bid.team_name).exists():
        raise ValidationError({"team_name": _("Your institution already has a bid from a team of this name.")})
    if challenge.reviewers.filter(expert__institution_id=actor.institution_id).exists():
        raise ValidationError(
            {"challenge": _("An expert of your institution reviews this challenge, so it cannot bid.")}
        )
    bid.save()
    audit.record(actor, "bid.submitted", bid, challenge=challenge.pk)
    audit.record(actor, "challenge.bid", challenge, bid=bid.pk)
    notify(
        [*_committee_members(), *_enterprise_members(challenge.need)],
        kind=Kind.CHALLENGE,
        subject=gettext_noop("A new bid on the challenge: %(title)s"),
        body=gettext_noop("A team has bid on “%(title)s”. Bids are reviewed after %(closes)s."),
        url=reverse("web-challenge-detail", args=[challenge.pk]),
        title=challenge.need.title,
        closes=challenge.closes_on.isoformat(),
    )
    return bid


def _own_bid(actor, bid: Bid) -> None:
    if actor.role != Role.INSTITUTION or actor.institution_id != bid.institution_id:
        raise PermissionDenied(_("Only members of the bidding institution can change this bid."))


@transaction.atomic
def bid_withdraw(*, actor, bid: Bid) -> Bid:
    _own_bid(actor, bid)
    bid = Bid.objects.select_for_update().select_related("challenge").get(pk=bid.pk)
    if bid.status != BidStatus.SUBMITTED or bid.challenge.stage not in (
        ChallengeStage.PUBLISHED,
        ChallengeStage.EVALUATING,
    ):
        raise ValidationError({"status": _("This bid can no longer be withdrawn.")})
    bid.status = BidStatus.WITHDRAWN
    bid.save(update_fields=["status", "updated_at"])
    audit.record(actor, "bid.withdrawn", bid)
    return bid


@transaction.atomic
def bid_attach(*, actor, bid: Bid, upload) -> BidAttachment:
    _own_bid(actor, bid)
    if bid.challenge.stage != ChallengeStage.PUBLISHED or bid.status != BidStatus.SUBMITTED:
        raise ValidationError({"file": _("Attachments can be added while the challenge is open for bids.")})
    name = (upload.name or "").rsplit("/", 1)[-1][:200]
    if not name.lower().endswith(ATTACHMENT_TYPES):
        raise ValidationError({"file": _("Attach PDF, Office, image or zip files.")})
    if upload.size > MAX_ATTACHMENT_BYTES:
        raise ValidationError({"file": _("An attachment may be at most 20 MB.")})
    if bid.attachments.count() >= 10:
        raise ValidationError({"file": _("A bid may have at most 10 attachments.")})
    attachment = BidAttachment.objects.create(bid=bid, file=upload, name=name, size=upload.size)
    audit.record(actor, "bid.attachment", bid, name=name)
    return attachment


# -- review ----------------------------------------------------------------------------------------


def _bidding_institutions(challenge: Challenge) -> set[int]:
    return set(challenge.bids.exclude(status=BidStatus.WITHDRAWN).values_list("institution_id", flat=True))


@transaction.atomic
def assign_reviewers(*, actor, challenge: Challenge, count: int = 3, expert_ids=None) -> list[ReviewerAssignment]:
    """Reviewers come from the expert matching for the need (or are named by the committee);
    never an expert whose institution bids, and only experts with a platform account."""
    from achievements.models import Expert
    from matchmaking.models import ExpertSuggestion
    from matchmaking.services import suggest_experts

    if not is_committee(actor):
        raise PermissionDenied(_("Only the committee assigns reviewers."))
    challenge = _locked(
        challenge,
        (ChallengeStage.PUBLISHED, ChallengeStage.EVALUATING),
        _("Reviewers are assigned to open challenges."),
    )
    excluded = _bidding_institutions(challenge)
    taken = set(challenge.reviewers.values_list("expert_id", flat=True))
    if expert_ids:
        experts = list(Expert.objects.filter(pk__in=expert_ids).select_related("user"))
        if len(experts) != len(set(expert_ids)):
            raise ValidationError({"expert_ids": _("Unknown expert.")})
        for expert in experts:
            if expert.institution_id in excluded:
                raise ValidationError(
                    {"expert_ids": _("%(name)s's institution bids on this challenge.") % {"name": expert.name}}
                )
            if expert.user_id is None:
                raise ValidationError(
                    {"expert_ids": _("%(name)s has no platform account to review with.") % {"name": expert.name}}
                )
        chosen = [(expert, None) for expert in experts if expert.pk not in taken]
    else:
        if not 1 <= count <= 10:
            raise ValidationError({"count": _("Assign between 1 and 10 reviewers.")})
        suggest_experts([challenge.need_id], limit=50)
        suggestions = (
            ExpertSuggestion.objects.filter(need_id=challenge.need_id, expert__user__isnull=False)
            .exclude(expert__institution_id__in=excluded)
            .exclude(expert_id__in=taken)
            .select_related("expert__user")
            .order_by("rank")
        )
        chosen = [(s.expert, s.score) for s in suggestions[:count]]
        if not chosen:
            raise ValidationError({"count": _("No eligible expert with a platform account matches this challenge.")})
    assignments = [
        ReviewerAssignment.objects.create(challenge=challenge, expert=expert, reviewer=expert.user, match_score=score)
        for expert, score in chosen
    ]
    for assignment in assignments:
        audit.record(actor, "challenge.reviewer", challenge, expert=assignment.expert_id)
    notify(
        [a.reviewer for a in assignments],
        kind=Kind.CHALLENGE,
        subject=gettext_noop("Please review the bids for: %(title)s"),
        body=gettext_noop("You were chosen to review the bids for the 揭榜挂帅 challenge “%(title)s”."),
        url=reverse("web-challenge-detail", args=[challenge.pk]),
        title=challenge.need.title,
    )
    return assignments


@transaction.atomic
def review_submit(*, actor, bid: Bid, scores: dict, comment: str = "") -> Review:
    challenge = bid.challenge
    assignment = challenge.reviewers.filter(reviewer=actor).first()
    if assignment is None:
        raise PermissionDenied(_("You are not a reviewer of this challenge."))
    if challenge.stage != ChallengeStage.EVALUATING:
        raise ValidationError({"challenge": _("Bids are reviewed after bidding closes.")})
    if bid.status != BidStatus.SUBMITTED:
        raise ValidationError({"bid": _("This bid is not under review.")})
    if bid.institution_id == assignment.expert.institution_id:
        raise PermissionDenied(_("You cannot review a bid of your own institution."))
    criteria = {c["code"]: c["weight"] for c in challenge.criteria}
    if not isinstance(scores, dict) or set(scores) != set(criteria):
        raise ValidationError({"scores": _("Score every criterion: %(codes)s.") % {"codes": ", ".join(criteria)}})
    for value in scores.values():
        if not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value <= 10:
            raise ValidationError({"scores": _("Scores are numbers from 0 to 10.")})
    total = round(sum(scores[c] * w for c, w in criteria.items()) * 10 / sum(criteria.values()), 2)
    review, _created = Review.objects.update_or_create(
        assignment=assignment, bid=bid, defaults={"scores": scores, "total": total, "comment": comment.strip()}
    )
    audit.record(actor, "bid.reviewed", bid, total=total)
    return review


@transaction.atomic
def challenge_award(*, actor, challenge: Challenge, bid: Bid, note: str = "") -> Challenge:
    if not is_committee(actor):
        raise PermissionDenied(_("Only the committee awards challenges."))
    challenge = _locked(
        challenge, (ChallengeStage.EVALUATING,), _("A challenge is awarded after its bids are reviewed.")
    )
    if bid.challenge_id != challenge.pk or bid.status != BidStatus.SUBMITTED:
        raise ValidationError({"bid": _("Choose a bid of this challenge that is still in the running.")})
    if not bid.reviews.exists():
        raise ValidationError({"bid": _("A bid must be reviewed before it can win.")})
    bids = challenge.bids.filter(status=BidStatus.SUBMITTED)
    bids.exclude(pk=bid.pk).update(status=BidStatus.NOT_AWARDED)
    try:
        with transaction.atomic():
            Bid.objects.filter(pk=bid.pk).update(status=BidStatus.AWARDED)
    except IntegrityError as error:
        raise ValidationError({"bid": _("This challenge already has a winner.")}) from error
    challenge.awarded_at = timezone.now()
    challenge = _move(challenge, actor, ChallengeStage.AWARDED, bid=bid.pk, note=(note or "").strip())
    bidders = User.objects.filter(institution__bids__challenge=challenge, role=Role.INSTITUTION).distinct()
    notify(
        [*bidders, *_enterprise_members(challenge.need)],
        kind=Kind.CHALLENGE,
        subject=gettext_noop("揭榜挂帅 result: %(title)s"),
        body=gettext_noop("The challenge “%(title)s” was awarded to %(team)s (%(institution)s)."),
        url=reverse("web-challenge-detail", args=[challenge.pk]),
        title=challenge.need.title,
        team=bid.team_name,
        institution=bid.institution.name,
    )
    return challenge


def ranked_bids(challenge: Challenge) -> list[dict]:
    """Bids with their mean weighted score, best first, for the committee's decision."""
    from django.db.models import Avg, Count

    rows = (
        challenge.bids.exclude(status=BidStatus.WITHDRAWN)
        .select_related("institution")
        .annotate(mean_score=Avg("reviews__total"), review_count=Count("reviews"))
    )
    return sorted(rows, key=lambda b: (-(b.mean_score or -1), b.pk))
