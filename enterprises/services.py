"""Every write to enterprises and technology needs goes through these functions."""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.models import TransferMode
from core.search import build_document
from core.status import change_status
from core.text import clean_keywords
from core.validators import normalize_uscc
from matchmaking.hooks import records_changed

from .models import Confidentiality, Enterprise, NeedStatus, TechnologyNeed

ENTERPRISE_FIELDS = {
    "name",
    "credit_code",
    "industry",
    "district",
    "size",
    "is_high_tech",
    "is_tech_sme",
    "description",
    "website",
}


@transaction.atomic
def enterprise_create(*, actor, name: str, credit_code: str, **fields) -> Enterprise:
    enterprise = Enterprise(name=name, credit_code=normalize_uscc(credit_code), **fields)
    enterprise.full_clean()
    enterprise.save()
    return enterprise


@transaction.atomic
def enterprise_update(*, enterprise: Enterprise, actor, **changes) -> Enterprise:
    for name, value in changes.items():
        if name not in ENTERPRISE_FIELDS:
            raise ValidationError({name: _("This field cannot be changed.")})
        setattr(enterprise, name, normalize_uscc(value) if name == "credit_code" else value)
    enterprise.full_clean()
    saved_name = Enterprise.objects.filter(pk=enterprise.pk).values_list("name", flat=True).first()
    enterprise.save()
    if saved_name != enterprise.name:
        refresh_enterprise_documents(enterprise)
    return enterprise


def need_search_document(need: TechnologyNeed) -> str:
    return build_document(need.title, need.keywords, need.description, need.enterprise.name)


def refresh_enterprise_documents(enterprise: Enterprise) -> int:
    """Needs are searched by their enterprise's name, which their `search_document` copies:
    rebuild those of this enterprise (after a rename). Only the search text changes."""
    needs = list(TechnologyNeed.objects.filter(enterprise=enterprise).order_by("pk"))
    for need in needs:
        need.enterprise = enterprise
        need.search_document = need_search_document(need)
    return TechnologyNeed.objects.bulk_update(needs, ["search_document"], batch_size=500)


@transaction.atomic
def need_save(*, need: TechnologyNeed, actor) -> TechnologyNeed:
    """Save a need edited as a whole (the admin form), keeping its search text and embedding current."""
    need.search_document = need_search_document(need)
    need.full_clean(exclude=["search_document"])
    need.save()
    records_changed("need", [need.pk])
    return need


def _validate_need(need: TechnologyNeed, *, is_new: bool) -> None:
    today = timezone.localdate()
    errors = {}
    if need.is_challenge:
        if need.challenge_award is None or need.challenge_award <= 0:
            errors["challenge_award"] = _("A 揭榜挂帅 challenge needs an award amount above zero.")
        if need.challenge_closes_on is None:
            errors["challenge_closes_on"] = _("A 揭榜挂帅 challenge needs a closing date.")
        elif is_new and need.challenge_closes_on < today:
            errors["challenge_closes_on"] = _("The closing date is in the past.")
    else:
        need.challenge_award = None
        need.challenge_closes_on = None
    if is_new and need.deadline and need.deadline < today:
        errors["deadline"] = _("The deadline is in the past.")
    if errors:
        raise ValidationError(errors)


def _save_need(need: TechnologyNeed, *, is_new: bool, cooperation_modes) -> TechnologyNeed:
    need.title = (need.title or "").strip()
    need.keywords = clean_keywords(need.keywords)
    _validate_need(need, is_new=is_new)
    need.search_document = need_search_document(need)
    need.full_clean(exclude=["search_document"])
    need.save()
    if cooperation_modes is not None:
        need.cooperation_modes.set(cooperation_modes)
    records_changed("need", [need.pk])
    return need


@transaction.atomic
def need_create(
    *,
    actor,
    enterprise: Enterprise,
    title: str,
    description: str,
    field,
    keywords: Iterable[str] | str = (),
    cooperation_modes: Iterable[TransferMode] = (),
    status: str = NeedStatus.DRAFT,
    **fields,
) -> TechnologyNeed:
    if status not in (NeedStatus.DRAFT, NeedStatus.PUBLISHED):
        raise ValidationError({"status": _("A new need is either a draft or published.")})
    need = TechnologyNeed(
        enterprise=enterprise,
        title=title,
        description=description,
        field=field,
        keywords=list(keywords) if not isinstance(keywords, str) else keywords,
        status=status,
        published_at=timezone.now() if status == NeedStatus.PUBLISHED else None,
        created_by=actor if getattr(actor, "pk", None) else None,
        **fields,
    )
    return _save_need(need, is_new=True, cooperation_modes=list(cooperation_modes))


NEED_FIELDS = {
    "title",
    "description",
    "keywords",
    "field",
    "required_trl",
    "budget_min",
    "budget_max",
    "deadline",
    "region",
    "confidentiality",
    "is_challenge",
    "challenge_award",
    "challenge_closes_on",
    "language",
}


@transaction.atomic
def need_update(*, need: TechnologyNeed, actor, **changes) -> TechnologyNeed:
    need = TechnologyNeed.objects.select_for_update().select_related("enterprise").get(pk=need.pk)
    if need.status in (NeedStatus.CLOSED, NeedStatus.ARCHIVED):
        raise ValidationError(_("A closed or archived need cannot be edited."))
    cooperation_modes = changes.pop("cooperation_modes", None)
    for name, value in changes.items():
        if name not in NEED_FIELDS:
            raise ValidationError({name: _("This field cannot be changed.")})
        setattr(need, name, value)
    changed_dates = {"deadline", "challenge_closes_on", "is_challenge"} & set(changes)
    return _save_need(need, is_new=bool(changed_dates), cooperation_modes=cooperation_modes)


def _transition(need: TechnologyNeed, allowed_from: tuple, to: str, message: str, **stamps) -> TechnologyNeed:
    return change_status(
        need,
        allowed_from=allowed_from,
        to=to,
        message=message,
        on_change=lambda pk: records_changed("need", [pk]),
        **stamps,
    )


def need_publish(*, need: TechnologyNeed, actor) -> TechnologyNeed:
    return _transition(
        need,
        (NeedStatus.DRAFT,),
        NeedStatus.PUBLISHED,
        _("Only a draft can be published."),
        published_at=timezone.now(),
    )


def need_close(*, need: TechnologyNeed, actor) -> TechnologyNeed:
    return _transition(need, (NeedStatus.PUBLISHED,), NeedStatus.CLOSED, _("Only a published need can be closed."))


def need_archive(*, need: TechnologyNeed, actor) -> TechnologyNeed:
    return _transition(
        need,
        (NeedStatus.DRAFT, NeedStatus.PUBLISHED, NeedStatus.CLOSED),
        NeedStatus.ARCHIVED,
        _("This need is already archived."),
    )


@transaction.atomic
def need_delete(*, need: TechnologyNeed, actor) -> None:
    if need.status != NeedStatus.DRAFT:
        raise ValidationError({"status": _("Only drafts can be deleted; close or archive a published need.")})
    need.delete()


def record_confidential_view(*, user, need: TechnologyNeed) -> None:
    """Who outside the enterprise opened a "brokers only" need goes to the audit log."""
    from core import audit

    if need.confidentiality == Confidentiality.BROKERS and user.enterprise_id != need.enterprise_id:
        audit.record(user, "need.viewed_confidential", need)
