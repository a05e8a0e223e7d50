"""What a contract comes from: a match, an awarded challenge, a held meeting, or nothing (the
committee's direct record). Each source locks its row, says who may record a contract from it,
checks that it can take one, names the parties, and moves on once the contract is saved."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from core import audit

from .models import ChallengeStage, TechnologyContract
from .permissions import is_committee, is_contract_party


class Source:
    field = ""  # the contract's field naming the source row
    row = None

    def __init__(self, row=None):
        self.row = row

    def lock(self) -> None:
        """Re-read the source row under a lock: two contracts at once are checked in turn."""

    def may_record(self, actor, parties: dict) -> bool:
        return is_committee(actor)

    def check(self, actor) -> None:
        """The source can take a contract now (its stage, no contract yet)."""

    def parties(self) -> dict:
        """Parties, field, district and broker as the source record knows them."""
        return {}

    def after_save(self, contract, actor) -> None:
        """The source moves on now that its contract is recorded."""


class MatchSource(Source):
    field = "match"

    def lock(self):
        from matchmaking.models import Match

        self.row = (
            Match.objects.select_for_update(of=("self",))
            .select_related(
                "need__enterprise__district",
                "need__field",
                "need__region",
                "achievement__institution",
                "broker__agency",
            )
            .get(pk=self.row.pk)
        )

    def may_record(self, actor, parties):
        from matchmaking.selectors import may_work_match

        return is_committee(actor) or may_work_match(actor, self.row)  # its broker, never with a conflict

    def check(self, actor):
        from matchmaking.models import Stage
        from matchmaking.services import TRANSITIONS

        if TechnologyContract.objects.filter(match=self.row).exists():
            raise ValidationError({"match": _("This match already has its contract.")})
        if Stage.CONTRACT_SIGNED not in TRANSITIONS[self.row.stage]:
            raise ValidationError(
                {
                    "match": _("A match at stage %(stage)s cannot be signed yet.")
                    % {"stage": Stage(self.row.stage).label}
                }
            )

    def parties(self):
        need, achievement = self.row.need, self.row.achievement
        return {
            "institution": achievement.institution,
            "enterprise": need.enterprise,
            "achievement": achievement,
            "field": need.field,
            "district": need.enterprise.district or need.region,
            "broker": self.row.broker,
        }

    def after_save(self, contract, actor):
        from matchmaking.models import Stage
        from matchmaking.services import match_transition

        match_transition(
            match=self.row,
            actor=actor,
            to_stage=Stage.CONTRACT_SIGNED,
            note=contract.title,  # the contract by its name (a note is shown as written, in any language)
            check_actor=False,  # decided by may_record: its broker or the committee
        )


class ChallengeSource(Source):
    field = "challenge"

    def lock(self):
        from .models import Challenge

        self.row = Challenge.objects.select_for_update().select_related("need__enterprise").get(pk=self.row.pk)

    def check(self, actor):
        if self.row.stage != ChallengeStage.AWARDED:
            raise ValidationError({"challenge": _("Only an awarded challenge leads to a contract.")})

    def parties(self):
        winner = self.row.bids.filter(status="awarded").select_related("institution").first()
        need = self.row.need
        return {
            "institution": winner.institution if winner else None,
            "enterprise": need.enterprise,
            "field": need.field,
            "district": need.enterprise.district or need.region,
        }

    def after_save(self, contract, actor):
        challenge = self.row
        audit.record(actor, "challenge.contracted", challenge, contract=contract.pk, from_stage=challenge.stage)
        challenge.stage = ChallengeStage.CONTRACTED
        challenge.save(update_fields=["stage", "updated_at"])


class MeetingSource(Source):
    field = "meeting"

    def lock(self):
        from events.models import Meeting

        self.row = (
            Meeting.objects.select_for_update(of=("self",))
            .select_related(
                "holder__user__institution",
                "enterprise__user__enterprise__district",
                "enterprise__user__enterprise__industry",
            )
            .get(pk=self.row.pk)
        )

    def may_record(self, actor, parties):
        probe = TechnologyContract(institution=parties.get("institution"), enterprise=parties.get("enterprise"))
        return is_committee(actor) or is_contract_party(actor, probe)  # its two organisations

    def check(self, actor):
        from events.models import MeetingStatus

        meeting = self.row
        if meeting.status != MeetingStatus.HELD:
            raise ValidationError({"meeting": _("A contract comes from a meeting that took place (marked as held).")})
        # one party's rating marks a meeting held: for that party to credit the other, the other
        # must have confirmed the meeting too (its own rating), or both were checked in at the door
        confirmed = (meeting.holder_rating is not None and meeting.enterprise_rating is not None) or (
            meeting.holder.checked_in and meeting.enterprise.checked_in
        )
        if not confirmed and not is_committee(actor):
            raise ValidationError(
                {
                    "meeting": _(
                        "Both sides must confirm the meeting (each rates it, or both were checked in) "
                        "before one of them records a contract from it."
                    )
                }
            )
        # one party's word credits the other: once per meeting; further contracts from the same
        # talks are the committee's to record (without a source, with a reason)
        if TechnologyContract.objects.filter(meeting=meeting).exists():
            raise ValidationError({"meeting": _("This meeting already has its contract.")})

    def parties(self):
        holder, buyer = self.row.holder.user, self.row.enterprise.user
        enterprise = buyer.enterprise
        return {
            "institution": holder.institution,
            "enterprise": enterprise,
            "district": enterprise.district if enterprise else None,
            "field": enterprise.industry if enterprise else None,
        }


class NoSource(Source):
    """The committee records a contract that came about outside the platform, saying why."""

    def __init__(self, direct_reason: str):
        super().__init__()
        self.direct_reason = (direct_reason or "").strip()

    def may_record(self, actor, parties):
        if not is_committee(actor):
            raise PermissionDenied(
                _("Only the committee records a contract without a match, challenge or meeting behind it.")
            )
        if not self.direct_reason:
            raise ValidationError(
                {"direct_reason": _("Say why this contract is recorded without a match, challenge or meeting.")}
            )
        return True


def source_of(*, match, challenge, meeting, direct_reason: str) -> Source:
    given = [(cls, row) for cls, row in ((MatchSource, match), (ChallengeSource, challenge), (MeetingSource, meeting))]
    given = [(cls, row) for cls, row in given if row is not None]
    if len(given) > 1:
        raise ValidationError({"match": _("A contract comes from one match, challenge or meeting, not several.")})
    if not given:
        return NoSource(direct_reason)
    cls, row = given[0]
    return cls(row)
