"""Technology contracts, linked to what produced them, and 先使用后付费 licences."""

from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import Role
from core import audit
from notifications.kinds import Kind
from notifications.services import notify

from .contract_sources import NoSource, source_of
from .models import ContractType, LicenceStatus, TechnologyContract, UseFirstLicence
from .permissions import may_act_on_licence

REMIND_BEFORE = timedelta(days=30)


SOURCE_PARTIES = ("institution", "enterprise")


def _check_parties_not_overridden(parties: dict, fields: dict) -> None:
    """A contract from a source names the source's parties; its author cannot name others."""
    for name in SOURCE_PARTIES:
        given = fields.get(name)
        if given is None:
            continue
        if getattr(parties.get(name), "pk", None) != getattr(given, "pk", given):
            raise ValidationError(
                {name: _("The parties of a contract come from its match, challenge or meeting; leave this out.")}
            )


@transaction.atomic
def contract_create(
    *,
    actor,
    contract_type: str,
    title: str,
    amount,
    signed_on,
    match=None,
    challenge=None,
    meeting=None,
    use_first: dict | None = None,
    direct_reason: str = "",
    **fields,
) -> TechnologyContract:
    """Record a signed contract. Its parties come from its source (a match, an awarded
    challenge or a meeting) and cannot be overridden; only the committee records one without a
    source, with a reason. From a match, the match moves to "contract signed"; from a challenge,
    the challenge to "contracted". Everything is checked before anything is written."""
    source = source_of(match=match, challenge=challenge, meeting=meeting, direct_reason=direct_reason)
    source.lock()
    parties = source.parties()
    has_source = not isinstance(source, NoSource)
    if not source.may_record(actor, parties):
        raise PermissionDenied(_("You cannot record a contract for this."))
    source.check(actor)
    if has_source:
        _check_parties_not_overridden(parties, fields)
    values = {**parties, **{k: v for k, v in fields.items() if v not in (None, "") and k not in parties}}
    if values.get("broker") is None and actor.role == Role.BROKER:
        values["broker"] = actor
    if values.get("broker") is not None and not values.get("agency"):
        values["agency"] = values["broker"].agency
    if signed_on and signed_on > timezone.localdate():
        raise ValidationError({"signed_on": _("A contract is recorded once it is signed: the date is in the future.")})
    contract = TechnologyContract(
        contract_type=contract_type,
        title=(title or "").strip(),
        amount=amount,
        signed_on=signed_on,
        created_by=actor,
        **({source.field: source.row} if has_source else {}),
        direct_reason="" if has_source else direct_reason.strip(),
        **values,
    )
    if contract.registration_number is not None:
        contract.registration_number = contract.registration_number.strip() or None
    if contract.amount is not None and contract.amount <= 0:
        raise ValidationError({"amount": _("The amount must be above zero.")})
    if not (contract.institution_id or contract.enterprise_id):
        raise ValidationError({"institution": _("Name at least one party: the institution or the enterprise.")})
    contract.full_clean()
    licence = None
    if use_first:
        if contract_type != ContractType.LICENCE:
            raise ValidationError({"use_first": _("先使用后付费 applies to licence contracts.")})
        licence = UseFirstLicence(**use_first)
        if licence.free_use_until and licence.free_use_from and licence.free_use_until < licence.free_use_from:
            raise ValidationError({"free_use_until": _("The free use must end on or after the day it starts.")})
        licence.full_clean(exclude=["contract"])
    contract.save()
    if licence is not None:
        licence.contract = contract
        licence.save()
    source.after_save(contract, actor)
    audit.record(actor, "contract.created", contract, amount=str(contract.amount), source=contract_source(contract))
    return contract


def contract_source(contract: TechnologyContract) -> str:
    if contract.match_id:
        return "match"
    if contract.challenge_id:
        return "challenge"
    return "meeting" if contract.meeting_id else "direct"


def _licence_people(licence: UseFirstLicence):
    contract = licence.contract
    people = []
    if contract.institution_id:
        people += list(contract.institution.members.filter(is_active=True))
    if contract.enterprise_id:
        people += list(contract.enterprise.members.filter(is_active=True))
    if contract.broker_id:
        people.append(contract.broker)
    return people


@transaction.atomic
def licence_evaluate(
    *, actor, licence: UseFirstLicence, keep: bool, evaluation: str, payment_amount=None, payment_due_on=None
) -> UseFirstLicence:
    """After (or near the end of) the free use: the enterprise keeps the licence and a payment
    is agreed, or hands it back."""
    licence = UseFirstLicence.objects.select_for_update(of=("self",)).select_related("contract").get(pk=licence.pk)
    if not may_act_on_licence(actor, licence, "evaluate"):
        raise PermissionDenied(_("The enterprise that uses the technology, its broker or the committee records this."))
    if licence.status != LicenceStatus.FREE_USE:
        raise ValidationError({"status": _("The licence has already been evaluated.")})
    if not (evaluation or "").strip():
        raise ValidationError({"evaluation": _("Record how the technology did in use.")})
    licence.evaluation, licence.evaluated_at = evaluation.strip(), timezone.now()
    if keep:
        if payment_amount is None or payment_amount <= 0 or payment_due_on is None:
            raise ValidationError({"payment_amount": _("Keeping the licence needs a payment amount and due date.")})
        if payment_due_on < licence.free_use_from:
            raise ValidationError({"payment_due_on": _("The payment cannot fall due before the free use began.")})
        licence.payment_amount, licence.payment_due_on = payment_amount, payment_due_on
        licence.status = LicenceStatus.EVALUATED
    else:
        licence.status = LicenceStatus.TERMINATED
    licence.full_clean(exclude=["contract"])  # the amount's and dates' limits, the text's characters
    licence.save()
    audit.record(actor, f"licence.{licence.status}", licence, keep=keep)
    _tell_licence_step(
        licence,
        actor,
        gettext_noop("Kept after the free use, with a payment due on %(date)s. %(actor)s recorded it.")
        if keep
        else gettext_noop("Handed back after the free use. %(actor)s recorded it."),
        date=licence.payment_due_on.isoformat() if keep else "",
    )
    return licence


def _tell_licence_step(licence: UseFirstLicence, actor, body: str, **params) -> None:
    """The other side, the broker and the committee's record: everyone on the licence but the actor."""
    notify(
        [person for person in _licence_people(licence) if person.pk != actor.pk],
        kind=Kind.LICENCE,
        subject=gettext_noop("先使用后付费 licence “%(title)s”"),
        body=body,
        url=licence_url(licence),
        title=licence.contract.title,
        actor=actor.get_full_name() or actor.username,
        **params,
    )


def licence_url(licence: UseFirstLicence) -> str:
    """The licence on the contracts page (its contract alone, whatever page it falls on)."""
    return f"{reverse('web-contracts')}?contract={licence.contract_id}#licence-{licence.pk}"


@transaction.atomic
def licence_paid(*, actor, licence: UseFirstLicence, paid_on=None) -> UseFirstLicence:
    licence = UseFirstLicence.objects.select_for_update(of=("self",)).select_related("contract").get(pk=licence.pk)
    if not may_act_on_licence(actor, licence, "paid"):
        raise PermissionDenied(_("The institution that is paid, its broker or the committee records this."))
    if licence.status not in (LicenceStatus.EVALUATED, LicenceStatus.PAYMENT_DUE):
        raise ValidationError({"status": _("Only an agreed payment can be marked paid.")})
    licence.paid_on = paid_on or timezone.localdate()
    if licence.paid_on > timezone.localdate():
        raise ValidationError({"paid_on": _("The payment date is in the future.")})
    if licence.paid_on < licence.free_use_from:
        raise ValidationError({"paid_on": _("The payment cannot be made before the free use began.")})
    licence.status = LicenceStatus.PAID
    licence.full_clean(exclude=["contract"])
    licence.save()
    audit.record(actor, "licence.paid", licence, paid_on=licence.paid_on.isoformat())
    _tell_licence_step(
        licence, actor, gettext_noop("Paid on %(date)s. %(actor)s recorded it."), date=licence.paid_on.isoformat()
    )
    return licence


def licence_reminders(today=None) -> int:
    """Beat, daily: remind the parties and the broker once before the free use ends, and mark
    agreed payments due on their date. Safe to run as often as wanted."""
    today = today or timezone.localdate()
    reminded = 0
    ending = UseFirstLicence.objects.filter(
        status=LicenceStatus.FREE_USE, reminded_at__isnull=True, free_use_until__lte=today + REMIND_BEFORE
    )
    for licence_id in ending.values_list("pk", flat=True):
        with transaction.atomic():
            licence = (
                UseFirstLicence.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(pk=licence_id, reminded_at__isnull=True)
                .select_related("contract__institution", "contract__enterprise", "contract__broker")
                .first()
            )
            if licence is None:
                continue
            licence.reminded_at = timezone.now()
            licence.save(update_fields=["reminded_at", "updated_at"])
            audit.record(None, "licence.reminded", licence)
            notify(
                _licence_people(licence),
                kind=Kind.LICENCE,
                subject=gettext_noop("Free use ends on %(date)s: %(title)s"),
                body=gettext_noop(
                    "The free-use period of the 先使用后付费 licence “%(title)s” ends on %(date)s. "
                    "Please record the evaluation and whether the licence is kept and paid for."
                ),
                url=licence_url(licence),
                title=licence.contract.title,
                date=licence.free_use_until.isoformat(),
            )
            reminded += 1
    UseFirstLicence.objects.filter(status=LicenceStatus.EVALUATED, payment_due_on__lte=today).update(
        status=LicenceStatus.PAYMENT_DUE, updated_at=timezone.now()
    )
    return reminded
