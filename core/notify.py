"""E-mail to platform users, each in their own language, sent after the transaction commits
(a rolled-back action sends nothing). Callers tell users through notifications.services.notify,
which also stores the in-app notification and honours each user's choices."""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import translation

logger = logging.getLogger(__name__)


def email_users(users, subject: str, body: str, *, url: str = "", **params) -> None:
    """`subject` and `body` are untranslated sources with %(name)s placeholders; `url` is the
    site path the message is about, sent as a full address (SITE_URL)."""
    messages = []
    link = f"{settings.SITE_URL.rstrip('/')}{url}" if url else ""
    for user in {u.pk: u for u in users if u is not None and u.email}.values():
        with translation.override(user.language or settings.LANGUAGE_CODE):
            text = translation.gettext(body) % params if body else ""
            messages.append(
                (translation.gettext(subject) % params, "\n\n".join(filter(None, [text, link])), user.email)
            )

    def send():
        for subject_text, body_text, address in messages:
            try:
                send_mail(subject_text, body_text, None, [address])
            except OSError:  # the action stands; a mail server outage must not undo it
                logger.exception("could not e-mail %s: %s", address, subject_text)

    transaction.on_commit(send)
