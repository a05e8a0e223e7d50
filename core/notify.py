"""E-mail to platform users, each in their own language, sent after the transaction commits
(a rolled-back action sends nothing). Callers tell users through notifications.services.notify,
which also stores the in-app notification and honours each user's choices."""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import translation

logger = logging.getLogger(__name__)


def ngettext_noop(singular: str, plural: str) -> tuple[str, str]:
    """Marks a message with a plural form for translation (the makemessages command knows this
    name), untranslated: it is translated when rendered, with the "count" parameter."""
    return (singular, plural)


def render(source, params: dict) -> str:
    """A stored source (a msgid, or a (singular, plural) pair) in the current language."""
    if isinstance(source, (list, tuple)):
        singular, plural = source
        count = int(params.get("count") or 0)
        text, original = translation.ngettext(singular, plural, count), singular if count == 1 else plural
    else:
        original = text = translation.gettext(source)
    try:
        return text % params
    except (KeyError, TypeError, ValueError):  # a translation that lost a placeholder: the source
        return original % params


def email_users(users, subject, body, *, url: str = "", **params) -> None:
    """`subject` and `body` are untranslated sources with %(name)s placeholders (a body may be an
    ngettext_noop pair); `url` is the site path the message is about, sent as a full address
    (SITE_URL)."""
    email_addresses(
        [(u.email, u.language or settings.LANGUAGE_CODE) for u in users if u is not None and u.email],
        subject,
        body,
        url=url,
        **params,
    )


def email_addresses(recipients, subject, body, *, url: str = "", **params) -> None:
    """As email_users, to (address, language) pairs: people who are not users yet (an account
    request's author) are written to through this."""
    messages = []
    link = f"{settings.SITE_URL.rstrip('/')}{url}" if url else ""
    for address, language in dict(recipients).items():
        with translation.override(language):
            text = render(body, params) if body else ""
            messages.append((render(subject, params), "\n\n".join(filter(None, [text, link])), address))

    def send():
        for subject_text, body_text, address in messages:
            try:
                send_mail(subject_text, body_text, None, [address])
            except OSError:  # the action stands; a mail server outage must not undo it
                logger.exception("could not e-mail %s: %s", address, subject_text)

    transaction.on_commit(send)
