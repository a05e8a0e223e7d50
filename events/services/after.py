"""Meetings rated and cancelled, the follow-up survey, whom to invite, and what partners bring."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from matchmaking.models import Match

from ..models import (
    FollowUpSurvey,
    MatchmakingEvent,
    Meeting,
    MeetingStatus,
    Registration,
    Side,
)
from .timing import _plain_text


def invite_suggestions(*, event: MatchmakingEvent, viewer, limit: int = 30) -> list[dict]:
    """People worth inviting, from the matching engine: for each registered enterprise, the
    members of the institutions holding its needs' best-matched achievements; for each
    registered holder, the members of the enterprises whose needs match their achievements.
    Only matches whose need and achievement `viewer` may see are used (a "brokers only" need
    or an unpublished achievement is neither shown nor hinted at by its owner's name)."""
    from accounts.models import Role, User
    from matchmaking.selectors import renderable_matches

    registered = list(event.registrations.select_related("user"))
    registered_users = {r.user_id for r in registered}
    enterprises = {r.user.enterprise_id for r in registered if r.side == Side.ENTERPRISE and r.user.enterprise_id}
    institutions = {r.user.institution_id for r in registered if r.side == Side.HOLDER and r.user.institution_id}
    best: dict[tuple[str, int], dict] = {}
    matches = (
        renderable_matches(viewer, Match.objects.filter(rank__isnull=False))
        .filter(Q(need__enterprise_id__in=enterprises) | Q(achievement__institution_id__in=institutions))
        .select_related("need", "achievement")
    )
    for match in matches.order_by("-score")[:2000]:
        if match.need.enterprise_id in enterprises:
            key = ("institution", match.achievement.institution_id)
            reason = {"need": match.need.title, "achievement": match.achievement.title}
        else:
            key = ("enterprise", match.need.enterprise_id)
            reason = {"achievement": match.achievement.title, "need": match.need.title}
        if key not in best or match.score > best[key]["score"]:
            best[key] = {"score": match.score, **reason}
    members = (
        User.objects.filter(is_active=True)
        .filter(
            Q(role=Role.INSTITUTION, institution_id__in=[k[1] for k in best if k[0] == "institution"])
            | Q(role=Role.ENTERPRISE, enterprise_id__in=[k[1] for k in best if k[0] == "enterprise"])
        )
        .exclude(pk__in=registered_users)
        .select_related("institution", "enterprise")
    )
    suggestions = []
    for user in members:
        key = (
            ("institution", user.institution_id)
            if user.role == Role.INSTITUTION
            else ("enterprise", user.enterprise_id)
        )
        organisation = user.institution or user.enterprise
        suggestions.append(
            {
                "user": user.username,
                "organisation": str(organisation),
                "side": Side.HOLDER if user.role == Role.INSTITUTION else Side.ENTERPRISE,
                **best[key],
            }
        )
    suggestions.sort(key=lambda s: (-s["score"], s["user"]))
    return suggestions[:limit]


@transaction.atomic
def answer_survey(
    *, registration: Registration, contract_signed: bool, still_in_contact: bool, comments: str = ""
) -> FollowUpSurvey:
    survey = FollowUpSurvey.objects.select_for_update().filter(registration=registration).first()
    if survey is None:
        raise ValidationError({"survey": _("There is no follow-up survey for you at this event yet.")})
    if survey.answered_at:
        raise ValidationError({"survey": _("You have already answered this survey.")})
    if comments:
        _plain_text(comments, "comments")
    survey.contract_signed, survey.still_in_contact, survey.comments = contract_signed, still_in_contact, comments
    survey.answered_at = timezone.now()
    survey.save()
    return survey


@transaction.atomic
def rate_meeting(*, meeting: Meeting, user, rating: int, outcome: str) -> Meeting:
    """A participant's rating (1-5) and outcome for one of their meetings."""
    from ..models import Outcome

    if not 1 <= rating <= 5:
        raise ValidationError({"rating": _("Rate from 1 to 5.")})
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": _("Unknown outcome.")})
    locked = Meeting.objects.select_for_update().select_related("holder", "enterprise").get(pk=meeting.pk)
    if locked.starts_at > timezone.now():
        raise ValidationError({"meeting": _("A meeting can be rated once it has started.")})
    if locked.status in (MeetingStatus.CANCELLED, MeetingStatus.NO_SHOW):
        raise ValidationError({"meeting": _("This meeting did not take place: there is nothing to rate.")})
    if locked.holder.user_id == user.pk:
        locked.holder_rating, locked.holder_outcome = rating, outcome
    elif locked.enterprise.user_id == user.pk:
        locked.enterprise_rating, locked.enterprise_outcome = rating, outcome
    else:
        raise ValidationError({"meeting": _("Only the two participants rate a meeting.")})
    if locked.status == MeetingStatus.SCHEDULED and locked.starts_at <= timezone.now():
        locked.status = MeetingStatus.HELD
    locked.save()
    return locked


def what_they_bring(meetings, *, viewer) -> dict[int, dict]:
    """For each meeting, the best-matched achievement and need between the two organisations
    that `viewer` may see (one query for all the meetings)."""
    from matchmaking.selectors import renderable_matches

    pairs = {m.pk: (m.holder.user.institution_id, m.enterprise.user.enterprise_id) for m in meetings}
    best: dict[tuple, Match] = {}
    rows = (
        renderable_matches(viewer, Match.objects.all())
        .filter(
            achievement__institution_id__in={i for i, _ in pairs.values()},
            need__enterprise_id__in={e for _, e in pairs.values()},
        )
        .select_related("achievement", "need")
        .order_by("-score")
    )
    for match in rows:
        best.setdefault((match.achievement.institution_id, match.need.enterprise_id), match)
    result = {}
    for meeting_id, pair in pairs.items():
        match = best.get(pair)
        result[meeting_id] = {
            "achievement": match.achievement.title if match else "",
            "need": match.need.title if match else "",
        }
    return result


@transaction.atomic
def cancel_meeting(*, meeting: Meeting, user) -> Meeting:
    """A participant or the organiser cancels a scheduled meeting; its table is then free for
    a waiting pair (fill_freed_slots)."""
    MatchmakingEvent.objects.select_for_update().get(pk=meeting.event_id)
    locked = Meeting.objects.select_for_update().select_related("holder", "enterprise", "event").get(pk=meeting.pk)
    if user.pk not in (locked.holder.user_id, locked.enterprise.user_id, locked.event.organiser_id) and not (
        user.is_platform_admin
    ):
        raise ValidationError({"meeting": _("Only the two participants or the organiser cancel a meeting.")})
    if locked.status != MeetingStatus.SCHEDULED:
        raise ValidationError({"meeting": _("Only a scheduled meeting can be cancelled.")})
    locked.status = MeetingStatus.CANCELLED
    locked.save(update_fields=["status"])
    return locked
