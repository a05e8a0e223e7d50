"""E-mail to platform users, each in their own language, sent after the transaction commits
(a rolled-back action sends nothing)."""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import translation

logger = logging.getLogger(__name__)


def email_users(users, subject, body, **params) -> None:
    """`subject` and `body` are lazy translations with %(name)s placeholders."""
    messages = []
    for user in {u.pk: u for u in users if u is not None and u.email}.values():
        with translation.override(user.language or settings.LANGUAGE_CODE):
            messages.append((str(subject) % params, str(body) % params, user.email))

    def send():
        for subject_text, body_text, address in messages:
            try:
                send_mail(subject_text, body_text, None, [address])
            except OSError:  # the action stands; a mail server outage must not undo it
                logger.exception("could not e-mail %s: %s", address, subject_text)

    transaction.on_commit(send)
