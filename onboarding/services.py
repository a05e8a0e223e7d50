"""Visitors ask to join; a platform admin approves (the account, and its organisation if new, are
created and a link to set the password is e-mailed) or rejects with a reason."""

import logging
import re

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import Role, User
from achievements.models import Institution
from core.notify import email_addresses
from core.ratelimit import hit
from enterprises.models import Enterprise
from notifications.kinds import Kind
from notifications.services import notify

from .models import AccountRequest, JoinAs, RequestStatus

logger = logging.getLogger(__name__)
REQUESTS_PER_HOUR = 5


@transaction.atomic
def request_account(*, client: str, language: str, **fields) -> AccountRequest | None:
    """Stores the request and tells the admins. Whether the e-mail already has an account or a
    pending request is not revealed to the visitor (None: nothing new was stored)."""
    if not hit("account-request", client, limit=REQUESTS_PER_HOUR, window=3600):
        raise ValidationError(_("Too many requests from your network: please try again in an hour."))
    request = AccountRequest(language=language if language in ("zh-hans", "en") else "zh-hans", **fields)
    request.full_clean()
    if request.join_as == JoinAs.ENTERPRISE and not request.credit_code:
        raise ValidationError({"credit_code": _("An enterprise gives its unified social credit code.")})
    if User.objects.filter(email__iexact=request.email).exists():
        logger.info("account request for an e-mail that has an account: not stored")
        return None
    try:
        with transaction.atomic():
            request.save()
    except IntegrityError:  # a request from this e-mail is already waiting
        return None
    notify(
        User.objects.filter(role=Role.ADMIN, is_active=True),
        kind=Kind.ACCOUNT_REQUEST,
        subject=gettext_noop("%(organisation)s asks to join"),
        body=gettext_noop("%(name)s asks for an account for %(organisation)s."),
        url=reverse("admin:onboarding_accountrequest_change", args=[request.pk]),
        organisation=request.organisation,
        name=request.contact_name,
    )
    return request


def _username_for(email: str) -> str:
    base = re.sub(r"[^a-z0-9_.-]", "", email.split("@")[0].lower())[:24] or "user"
    name, number = base, 1
    while User.objects.filter(username=name).exists():
        number += 1
        name = f"{base}{number}"
    return name


def _mail(request: AccountRequest, subject: str, body: str, **params) -> None:
    """The request's author is not a user yet: written to at its address, in its language."""
    email_addresses([(request.email, request.language)], subject, body, **params)


def existing_organisation(request: AccountRequest):
    """The institution (by name) or enterprise (by credit code) the request would join, or None."""
    if request.join_as == JoinAs.INSTITUTION:
        return Institution.objects.filter(name=request.organisation).first()
    return Enterprise.objects.filter(credit_code=(request.credit_code or "").upper()).first()


def _organisation(request: AccountRequest) -> dict:
    if request.join_as == JoinAs.INSTITUTION:
        institution, _created = Institution.objects.get_or_create(name=request.organisation)
        return {"role": Role.INSTITUTION, "institution": institution}
    enterprise = Enterprise.objects.filter(credit_code=request.credit_code.upper()).first()
    if enterprise is None:
        if Enterprise.objects.filter(name=request.organisation).exists():
            raise ValidationError(
                {"credit_code": _("An enterprise of this name is registered with another credit code.")}
            )
        enterprise = Enterprise(name=request.organisation, credit_code=request.credit_code.upper())
        enterprise.full_clean()
        enterprise.save()
    return {"role": Role.ENTERPRISE, "enterprise": enterprise}


def _locked_pending(actor, request: AccountRequest) -> AccountRequest:
    if not actor.is_platform_admin:
        raise PermissionDenied(_("Only platform administrators decide on account requests."))
    locked = AccountRequest.objects.select_for_update().get(pk=request.pk)
    if locked.status != RequestStatus.PENDING:
        raise ValidationError(_("This request has already been decided."))
    return locked


@transaction.atomic
def approve(*, actor, request: AccountRequest, join_existing: bool = False) -> User:
    """`join_existing`: the admin checked that the requester belongs to the organisation already on
    the platform (anyone can type a registered name or a public credit code)."""
    locked = _locked_pending(actor, request)
    existing = existing_organisation(locked)
    if existing is not None and not join_existing:
        raise ValidationError(
            _(
                "%(name)s is already on the platform: check that the requester belongs to it, then approve "
                "joining the existing organisation."
            )
            % {"name": existing.name}
        )
    if User.objects.filter(email__iexact=locked.email).exists():
        raise ValidationError({"email": _("An account with this e-mail exists already.")})
    user = User(
        username=_username_for(locked.email),
        email=locked.email,
        first_name=locked.contact_name[:150],
        phone=locked.phone,
        language=locked.language,
        **_organisation(locked),
    )
    user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    locked.status, locked.user = RequestStatus.APPROVED, user
    locked.decided_by, locked.decided_at = actor, timezone.now()
    locked.save(update_fields=["status", "user", "decided_by", "decided_at"])
    colleagues = User.objects.filter(is_active=True, **{user.role: getattr(user, user.role)}).exclude(pk=user.pk)
    notify(
        colleagues,
        kind=Kind.ACCOUNT_REQUEST,
        subject=gettext_noop("%(name)s joined %(organisation)s on TechBridge"),
        body=gettext_noop("An administrator approved their request (%(email)s). Tell us if they are not one of you."),
        name=locked.contact_name,
        organisation=locked.organisation,
        email=locked.email,
    )
    link = settings.SITE_URL.rstrip("/") + reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    _mail(
        locked,
        gettext_noop("Your TechBridge account"),
        gettext_noop(
            "Welcome to TechBridge. Your user name is %(username)s. Set your password here "
            "(the link works once): %(link)s"
        ),
        username=user.username,
        link=link,
    )
    return user


@transaction.atomic
def reject(*, actor, request: AccountRequest, note: str) -> AccountRequest:
    locked = _locked_pending(actor, request)
    note = (note or "").strip()
    if not note:
        raise ValidationError({"decision_note": _("Say why the request is rejected.")})
    locked.status, locked.decision_note = RequestStatus.REJECTED, note
    locked.decided_by, locked.decided_at = actor, timezone.now()
    locked.save(update_fields=["status", "decision_note", "decided_by", "decided_at"])
    _mail(
        locked,
        gettext_noop("Your request to join TechBridge"),
        gettext_noop("Your request for %(organisation)s was not approved: %(note)s"),
        organisation=locked.organisation,
        note=note,
    )
    return locked
