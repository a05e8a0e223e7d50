"""What a user can be told about, who it concerns, and whether it is e-mailed unless they say
otherwise. The kinds that were e-mailed before in-app notifications existed stay e-mailed."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    NEW_MATCHES = "new_matches", _("New suggestions for my need")
    MATCH_STAGE = "match_stage", _("A match of mine moves on")
    INTRODUCTION = "introduction", _("My broker introduces me to a partner")
    MATCH_REQUEST = "match_request", _("A party asks me for an introduction or a meeting")
    INTEREST = "interest", _("Someone is interested in a record I broker")
    MEETING_REQUEST = "meeting_request", _("A meeting request at an event")
    MEETING_ANSWER = "meeting_answer", _("My meeting request is answered")
    EVENT_REMINDER = "event_reminder", _("Event reminders and surveys")
    CHALLENGE = "challenge", _("A 揭榜挂帅 challenge step")
    LICENCE = "licence", _("A 先使用后付费 licence needs attention")
    ACCOUNT_REQUEST = "account_request", _("Someone asks to join, or joined my organisation")


# new with the in-app notifications: on the web only until the user asks for e-mail
NOT_EMAILED_BY_DEFAULT = frozenset({Kind.NEW_MATCHES, Kind.MATCH_STAGE})

# what every participant at events and in the pipeline hears of
_AT_EVENTS = [Kind.MEETING_REQUEST, Kind.MEETING_ANSWER, Kind.EVENT_REMINDER, Kind.CHALLENGE, Kind.LICENCE]
_PARTY = [Kind.ACCOUNT_REQUEST, Kind.MATCH_STAGE, Kind.INTRODUCTION, *_AT_EVENTS]

# the kinds each role can receive (its settings page offers only these)
FOR_ROLE = {
    "institution": _PARTY,
    "enterprise": [Kind.NEW_MATCHES, *_PARTY],
    "broker": [Kind.MATCH_REQUEST, Kind.INTEREST, *_AT_EVENTS],
    "organiser": [Kind.CHALLENGE, Kind.EVENT_REMINDER],
    "admin": list(Kind),
}


def kinds_for(user) -> list[Kind]:
    if user.is_superuser:
        return list(Kind)
    return FOR_ROLE.get(user.role, [])
