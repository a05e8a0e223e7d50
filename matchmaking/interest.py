"""Expressing interest: an institution in a public need (offering one of its achievements, or
not), an enterprise in an achievement (offering one of its needs, or not). It reaches the broker
of the record; naming a pair makes it a match the broker works, flagged in the inbox."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import Role, User
from notifications.kinds import Kind
from notifications.services import notify

from .models import OPEN_STAGES, Interest, Match, MatchNote, NoteKind, RecordKind, Stage
from .retrieval import fusion_model
from .selectors import conflicted_with, interest_rules, organisation_interest
from .services import algorithm_version, score_pair


def broker_for(*, need=None, achievement=None, institution_id=None):
    """The broker who already works the record's matches (most of them), else the least-loaded
    broker; never one whose agency is the institution's own transfer office."""
    brokers = [
        b
        for b in User.objects.filter(role=Role.BROKER, is_active=True)
        .select_related("agency")
        .annotate(
            on_record=Count(
                "matches", filter=Q(matches__need=need) if need is not None else Q(matches__achievement=achievement)
            ),
            open=Count("matches", filter=Q(matches__stage__in=OPEN_STAGES)),
        )
        .order_by("pk")
        if not conflicted_with(b, institution_id)
    ]
    if not brokers:
        return None
    usual = max(brokers, key=lambda b: (b.on_record, -b.pk))
    return usual if usual.on_record else min(brokers, key=lambda b: (b.open, b.pk))


def _pair_match(need, achievement, broker) -> Match:
    """The pair's match, made now (scored by the fusion, unranked) if the engine had not
    suggested it."""
    match = Match.objects.filter(need=need, achievement=achievement).select_related("broker").first()
    if match is not None:
        return match
    score, components, explanation = score_pair(need, achievement)
    try:
        with transaction.atomic():
            return Match.objects.create(
                need=need,
                achievement=achievement,
                score=score,
                components=components,
                explanation=explanation,
                algorithm_version=algorithm_version(fusion_model()),
                broker=broker,
            )
    except IntegrityError:  # the engine stored the pair meanwhile
        return Match.objects.select_related("broker").get(need=need, achievement=achievement)


def _targets(actor, need_id, achievement_id):
    """(on_kind, need, achievement) the actor may name, by selectors.interest_rules: the record of
    interest one it may see and published, the record it offers its own and published."""
    rules = interest_rules(actor)
    if rules is None:
        raise PermissionDenied(_("Institutions express interest in needs, enterprises in achievements."))
    on_kind, records, offers = rules
    if on_kind == RecordKind.NEED:
        need = records.filter(pk=need_id).first() if need_id else None
        if need is None:
            raise ValidationError({"need": _("Choose a published public need.")})
        achievement = offers.filter(pk=achievement_id).first() if achievement_id else None
        if achievement_id and achievement is None:
            raise ValidationError({"achievement": _("Offer one of your institution's published achievements.")})
        return RecordKind.NEED, need, achievement
    achievement = records.filter(pk=achievement_id).first() if achievement_id else None
    if achievement is None:
        raise ValidationError({"achievement": _("Choose a published achievement.")})
    need = offers.filter(pk=need_id).first() if need_id else None
    if need_id and need is None:
        raise ValidationError({"need": _("Offer one of your enterprise's published needs.")})
    return RecordKind.ACHIEVEMENT, need, achievement


@transaction.atomic
def express_interest(*, actor, need_id=None, achievement_id=None, message: str = "") -> Interest:
    on_kind, need, achievement = _targets(actor, need_id, achievement_id)
    message = (message or "").strip()
    if len(message) > 2000:
        raise ValidationError({"message": _("A message may be at most 2,000 characters.")})
    try:
        for validate in Interest._meta.get_field("message").validators:  # no control or bidi characters
            validate(message)
    except ValidationError as error:
        raise ValidationError({"message": error.messages}) from None
    record = need if on_kind == RecordKind.NEED else achievement
    earlier = organisation_interest(actor, on_kind, record)
    if earlier is not None:
        raise ValidationError({on_kind: _already(actor, earlier)})
    institution_id = actor.institution_id if on_kind == RecordKind.NEED else achievement.institution_id
    broker = broker_for(
        need=need if on_kind == RecordKind.NEED else None, achievement=achievement, institution_id=institution_id
    )
    match = None
    if need is not None and achievement is not None:
        match = _pair_match(need, achievement, broker)
        if match.stage in (Stage.DECLINED, Stage.WITHDRAWN, Stage.CONTRACT_SIGNED):
            raise ValidationError({on_kind: _("This pair was already worked to its end; ask the broker directly.")})
        if match.broker_id and not conflicted_with(match.broker, institution_id):
            broker = match.broker
        elif broker is not None:  # the broker told must be able to work the match
            Match.objects.filter(pk=match.pk).update(broker=broker)
            match.broker = broker
        note = MatchNote(match=match, author=actor, kind=NoteKind.INTEREST, text=message)
        note.full_clean(exclude=["text"])  # an interest may come without a message
        note.save()
    try:
        with transaction.atomic():
            interest = Interest.objects.create(
                author=actor,
                institution_id=actor.institution_id if on_kind == RecordKind.NEED else None,
                enterprise_id=actor.enterprise_id if on_kind == RecordKind.ACHIEVEMENT else None,
                on_kind=on_kind,
                need=need,
                achievement=achievement,
                match=match,
                broker=broker,
                message=message,
            )
    except IntegrityError:  # the same interest twice at once
        raise ValidationError({on_kind: _already(actor, organisation_interest(actor, on_kind, record))}) from None
    _tell_broker(interest, actor)
    return interest


def _already(actor, earlier: Interest | None) -> str:
    if earlier is None or earlier.author_id == actor.pk:
        return _("You have already expressed interest; the broker will be in touch.")
    return _("%(colleague)s of your organisation already expressed interest; the broker will be in touch.") % {
        "colleague": earlier.author.get_full_name() or earlier.author.username
    }


def _tell_broker(interest: Interest, actor) -> None:
    organisation = interest.institution if interest.on_kind == RecordKind.NEED else interest.enterprise
    record = interest.need if interest.on_kind == RecordKind.NEED else interest.achievement
    recipients = [interest.broker] if interest.broker_id else list(User.objects.filter(role=Role.ADMIN, is_active=True))
    notify(
        recipients,
        kind=Kind.INTEREST,
        subject=gettext_noop("%(organisation)s is interested in “%(record)s”"),
        body=gettext_noop("Their message: %(message)s") if interest.message else "",
        url=reverse("broker-match", args=[interest.match_id])
        if interest.match_id
        else f"{reverse('broker-inbox')}#interest-{interest.pk}",
        organisation=organisation.name,
        record=record.title,
        message=interest.message,
    )


@transaction.atomic
def interest_followed_up(*, actor, interest: Interest) -> Interest:
    locked = Interest.objects.select_for_update().get(pk=interest.pk)
    if not (actor.is_platform_admin or (actor.role == Role.BROKER and locked.broker_id == actor.pk)):
        raise PermissionDenied(_("Only the broker this interest was sent to can follow it up."))
    if locked.followed_up_at is not None:
        raise ValidationError({"interest": _("This interest is already followed up.")})
    locked.followed_up_at = timezone.now()
    locked.save(update_fields=["followed_up_at"])
    return locked
