"""Every write to institutions, experts and achievements goes through these functions."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.models import TransferMode
from core.search import build_document
from core.status import change_status
from core.text import PATENT_NUMBER, clean_keywords, fold_title, normalize_patent_number
from matchmaking.hooks import records_changed

from .models import (
    STAGE_TRL,
    TRL_STAGE,
    Achievement,
    AchievementStatus,
    Expert,
    Institution,
    Patent,
    PatentStatus,
)


@dataclass(frozen=True)
class PatentInput:
    number: str
    status: str


def resolve_maturity(trl: int | None, stage: str | None) -> tuple[int, str]:
    """Fill in whichever of TRL and stage is missing; refuse a contradictory pair."""
    if trl is None and not stage:
        raise ValidationError({"trl": _("Give the technology readiness level (1-9) or the maturity stage.")})
    if trl is not None and not 1 <= int(trl) <= 9:
        raise ValidationError({"trl": _("The technology readiness level must be between 1 and 9.")})
    if stage and stage not in STAGE_TRL:
        raise ValidationError({"maturity_stage": _("Unknown maturity stage: %(stage)s.") % {"stage": stage}})
    if trl is None:
        return STAGE_TRL[stage], stage
    if stage and TRL_STAGE[int(trl)] != stage:
        raise ValidationError(
            {"maturity_stage": _("TRL %(trl)s does not belong to this maturity stage.") % {"trl": trl}}
        )
    return int(trl), TRL_STAGE[int(trl)]


def clean_patents(patents: Iterable) -> list[PatentInput]:
    result, seen = [], set()
    for item in patents or []:
        number = normalize_patent_number(item["number"] if isinstance(item, dict) else item.number)
        status = item["status"] if isinstance(item, dict) else item.status
        if not PATENT_NUMBER.match(number):
            raise ValidationError({"patents": _("%(number)s is not a valid patent number.") % {"number": number}})
        if status not in PatentStatus.values:
            raise ValidationError({"patents": _("Unknown patent status: %(status)s.") % {"status": status}})
        if number in seen:
            raise ValidationError({"patents": _("Patent %(number)s is listed twice.") % {"number": number}})
        seen.add(number)
        result.append(PatentInput(number=number, status=status))
    return result


def achievement_search_document(achievement: Achievement, patents: Iterable[PatentInput] = ()) -> str:
    return build_document(
        achievement.title,
        achievement.keywords,
        achievement.abstract,
        achievement.inventors,
        achievement.institution.name,
        [p.number for p in patents],
    )


def check_duplicates(achievement: Achievement, patents: list[PatentInput]) -> None:
    twin = (
        Achievement.objects.filter(institution=achievement.institution, title_key=achievement.title_key)
        .exclude(pk=achievement.pk)
        .values_list("pk", flat=True)
        .first()
    )
    if twin:
        raise ValidationError(
            {"title": _("Your institution already has an achievement with this title (#%(id)s).") % {"id": twin}}
        )
    numbers = [p.number for p in patents]
    clash = (
        Patent.objects.filter(institution=achievement.institution, number__in=numbers)
        .exclude(achievement_id=achievement.pk)
        .values_list("number", "achievement_id")
        .first()
    )
    if clash:
        raise ValidationError(
            {
                "patents": _("Patent %(number)s is already listed on achievement #%(id)s.")
                % {"number": clash[0], "id": clash[1]}
            }
        )


def _save_achievement(achievement: Achievement, *, patents, transfer_modes) -> Achievement:
    achievement.keywords = clean_keywords(achievement.keywords)
    achievement.title = (achievement.title or "").strip()
    achievement.title_key = fold_title(achievement.title)
    achievement.trl, achievement.maturity_stage = resolve_maturity(achievement.trl, achievement.maturity_stage)
    if patents is not None:
        patents = current_patents = clean_patents(patents)
    elif achievement.pk:
        current_patents = [PatentInput(p.number, p.status) for p in achievement.patents.all()]
    else:
        current_patents = []
    achievement.search_document = achievement_search_document(achievement, current_patents)
    achievement.full_clean(exclude=["title_key", "search_document"], validate_unique=False)
    check_duplicates(achievement, current_patents)
    try:
        with transaction.atomic():
            achievement.save()
    except IntegrityError as exc:  # a concurrent twin won the race
        raise ValidationError({"title": _("This achievement duplicates another one.")}) from exc
    if patents is not None:
        achievement.patents.all().delete()
        Patent.objects.bulk_create(
            Patent(achievement=achievement, institution=achievement.institution, number=p.number, status=p.status)
            for p in patents
        )
    if transfer_modes is not None:
        achievement.transfer_modes.set(transfer_modes)
    records_changed("achievement", [achievement.pk])
    return achievement


@transaction.atomic
def achievement_create(
    *,
    actor,
    institution: Institution,
    title: str,
    abstract: str,
    field,
    trl: int | None = None,
    maturity_stage: str | None = None,
    keywords: Iterable[str] | str = (),
    transfer_modes: Iterable[TransferMode] = (),
    patents: Iterable = (),
    experts: Iterable[Expert] = (),
    status: str = AchievementStatus.DRAFT,
    **fields,
) -> Achievement:
    if status not in (AchievementStatus.DRAFT, AchievementStatus.PUBLISHED):
        raise ValidationError({"status": _("A new achievement is either a draft or published.")})
    achievement = Achievement(
        institution=institution,
        title=title,
        abstract=abstract,
        field=field,
        trl=trl,
        maturity_stage=maturity_stage or "",
        keywords=list(keywords) if not isinstance(keywords, str) else keywords,
        status=status,
        created_by=actor if getattr(actor, "pk", None) else None,
        published_at=timezone.now() if status == AchievementStatus.PUBLISHED else None,
        **fields,
    )
    _check_experts(institution, experts)
    _save_achievement(achievement, patents=list(patents), transfer_modes=list(transfer_modes))
    if experts:
        achievement.experts.set(experts)
    return achievement


def _check_experts(institution: Institution, experts) -> None:
    if any(e.institution_id != institution.pk for e in experts or []):
        raise ValidationError({"experts": _("Experts must belong to the achievement's institution.")})


EDITABLE_FIELDS = (
    "title",
    "abstract",
    "keywords",
    "field",
    "trl",
    "maturity_stage",
    "asking_price_min",
    "asking_price_max",
    "inventors",
    "contact_name",
    "contact_phone",
    "contact_email",
    "language",
)


@transaction.atomic
def achievement_update(*, achievement: Achievement, actor, **changes) -> Achievement:
    achievement = Achievement.objects.select_for_update().select_related("institution").get(pk=achievement.pk)
    if achievement.status == AchievementStatus.ARCHIVED:
        raise ValidationError(_("An archived achievement cannot be edited: restore it first."))
    patents = changes.pop("patents", None)
    transfer_modes = changes.pop("transfer_modes", None)
    experts = changes.pop("experts", None)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({name: _("This field cannot be changed.") for name in sorted(unknown)})
    if "trl" in changes and "maturity_stage" not in changes:
        changes["maturity_stage"] = ""
    if "maturity_stage" in changes and "trl" not in changes:
        changes["trl"] = None
    for name, value in changes.items():
        setattr(achievement, name, value)
    _save_achievement(achievement, patents=patents, transfer_modes=transfer_modes)
    if experts is not None:
        _check_experts(achievement.institution, experts)
        achievement.experts.set(experts)
    return achievement


def _transition(achievement: Achievement, allowed_from: tuple, to: str, message: str, **stamps) -> Achievement:
    return change_status(
        achievement,
        allowed_from=allowed_from,
        to=to,
        message=message,
        on_change=lambda pk: records_changed("achievement", [pk]),
        **stamps,
    )


def achievement_publish(*, achievement: Achievement, actor) -> Achievement:
    return _transition(
        achievement,
        (AchievementStatus.DRAFT,),
        AchievementStatus.PUBLISHED,
        _("Only a draft can be published."),
        published_at=timezone.now(),
    )


def achievement_archive(*, achievement: Achievement, actor) -> Achievement:
    return _transition(
        achievement,
        (AchievementStatus.DRAFT, AchievementStatus.PUBLISHED),
        AchievementStatus.ARCHIVED,
        _("This achievement is already archived."),
        archived_at=timezone.now(),
    )


def achievement_restore(*, achievement: Achievement, actor) -> Achievement:
    return _transition(
        achievement,
        (AchievementStatus.ARCHIVED,),
        AchievementStatus.DRAFT,
        _("Only an archived achievement can be restored."),
        archived_at=None,
    )


@transaction.atomic
def achievement_delete(*, achievement: Achievement, actor) -> None:
    if achievement.status != AchievementStatus.DRAFT:
        raise ValidationError({"status": _("Only drafts can be deleted; archive a published achievement instead.")})
    achievement.delete()


# Institutions and experts ------------------------------------------------------------------

INSTITUTION_FIELDS = {"name", "short_name", "kind", "district", "website", "description"}


@transaction.atomic
def institution_create(*, actor, **fields) -> Institution:
    institution = Institution(**fields)
    institution.full_clean()
    institution.save()
    return institution


@transaction.atomic
def institution_update(*, institution: Institution, actor, **changes) -> Institution:
    for name, value in changes.items():
        if name not in INSTITUTION_FIELDS:
            raise ValidationError({name: _("This field cannot be changed.")})
        setattr(institution, name, value)
    institution.full_clean()
    saved = Institution.objects.filter(pk=institution.pk).values("name", "district_id").first() or {}
    institution.save()
    if saved.get("name") != institution.name:
        refresh_institution_documents(institution)
    if saved.get("district_id") != institution.district_id:
        # The matching index keeps each achievement's institution district (structured score,
        # "same district" reason): re-index and re-match them.
        ids = list(Achievement.objects.filter(institution=institution).values_list("pk", flat=True))
        records_changed("achievement", ids)
    return institution


REFRESH_BATCH = 500


def refresh_institution_documents(institution: Institution) -> int:
    """Achievements and experts are searched by their institution's name, which their
    `search_document` copies: rebuild those of this institution (after a rename). Only the
    search text changes (no `updated_at`, no re-embedding: the embedded text has no owner name)."""
    count = 0
    achievements = (
        Achievement.objects.filter(institution=institution).prefetch_related("patents").order_by("pk")
    ).iterator(chunk_size=REFRESH_BATCH)
    batch = []
    for achievement in achievements:
        achievement.institution = institution
        patents = [PatentInput(p.number, p.status) for p in achievement.patents.all()]
        achievement.search_document = achievement_search_document(achievement, patents)
        batch.append(achievement)
        if len(batch) == REFRESH_BATCH:
            count += Achievement.objects.bulk_update(batch, ["search_document"])
            batch = []
    count += Achievement.objects.bulk_update(batch, ["search_document"]) if batch else 0
    experts = list(Expert.objects.filter(institution=institution).order_by("pk"))
    for expert in experts:
        expert.institution = institution
        expert.search_document = expert_search_document(expert)
    count += Expert.objects.bulk_update(experts, ["search_document"], batch_size=REFRESH_BATCH)
    return count


def expert_search_document(expert: Expert) -> str:
    return build_document(expert.name, expert.title, expert.expertise, expert.institution.name)


def _save_expert(expert: Expert) -> Expert:
    expert.search_document = expert_search_document(expert)
    expert.full_clean(exclude=["search_document"])
    expert.save()
    records_changed("expert", [expert.pk])
    return expert


@transaction.atomic
def expert_create(*, actor, institution: Institution, name: str, expertise: str, **fields) -> Expert:
    return _save_expert(Expert(institution=institution, name=name, expertise=expertise, **fields))


EXPERT_FIELDS = {"name", "title", "field", "expertise", "email", "phone", "language"}


@transaction.atomic
def expert_save(*, expert: Expert, actor) -> Expert:
    """Save an expert edited as a whole (the admin form), keeping its search text and embedding current."""
    return _save_expert(expert)


@transaction.atomic
def expert_update(*, expert: Expert, actor, **changes) -> Expert:
    for name, value in changes.items():
        if name not in EXPERT_FIELDS:
            raise ValidationError({name: _("This field cannot be changed.")})
        setattr(expert, name, value)
    return _save_expert(expert)


@transaction.atomic
def expert_delete(*, expert: Expert, actor) -> None:
    expert.delete()
