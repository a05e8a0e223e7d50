"""Meeting requests between participants and brokers' recommendations."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from notifications.kinds import Kind
from notifications.services import notify

from ..models import (
    EventStatus,
    Meeting,
    MeetingRequest,
    MeetingStatus,
    Registration,
    RequestStatus,
    Side,
)
from .after import cancel_meeting
from .schedule import _pair
from .timing import _plain_text


@transaction.atomic
def recommend_pair(*, broker, sender: Registration, receiver: Registration, message: str = "") -> MeetingRequest:
    """A broker who attends the event recommends that two participants meet (the web's pairs
    page and the API)."""
    if broker.role != "broker" or not receiver.event.registrations.filter(user=broker, side=Side.BROKER).exists():
        raise PermissionDenied(_("Brokers recommend pairs at events they attend, naming both people."))
    return request_meeting(sender=sender, receiver=receiver, message=message, recommended_by=broker)


def request_meeting(
    *, sender: Registration, receiver: Registration, message: str = "", recommended_by=None
) -> MeetingRequest:
    if sender.event_id != receiver.event_id:
        raise ValidationError({"receiver": _("Both people must be registered for the same event.")})
    if _pair(sender, receiver) is None:
        raise ValidationError({"receiver": _("Meetings pair an achievement holder with an enterprise.")})
    if message:
        _plain_text(message, "message")
    event = sender.event
    if event.status in (EventStatus.HELD, EventStatus.CANCELLED) or event.ends_at <= timezone.now():
        raise ValidationError({"receiver": _("The event is over: meetings can no longer be requested.")})
    if MeetingRequest.objects.filter(sender=sender, receiver=receiver).exists():
        raise ValidationError({"receiver": _("You have already asked this participant.")})
    asked_back = MeetingRequest.objects.filter(sender=receiver, receiver=sender).exclude(status=RequestStatus.DECLINED)
    if asked_back.exists():
        raise ValidationError({"receiver": _("They have already asked you for a meeting: answer their request.")})
    try:
        with transaction.atomic():
            made = MeetingRequest.objects.create(
                event_id=sender.event_id,
                sender=sender,
                receiver=receiver,
                message=message[:2000],
                recommended_by=recommended_by,
            )
    except IntegrityError:  # the same request sent twice at once
        raise ValidationError({"receiver": _("You have already asked this participant.")}) from None
    from ..participation import party

    requests_page = reverse("web-event-requests", args=[event.pk])
    if recommended_by is not None:  # a broker's recommendation: it says so, in the broker's name
        notify(
            [receiver.user],
            kind=Kind.MEETING_REQUEST,
            subject=gettext_noop("Meeting recommended: %(sender)s"),
            body=gettext_noop(
                "Your broker %(broker)s recommends that you meet %(sender)s at “%(event)s”.\n%(message)s\n"
                "Accept or decline it on the event's Requests page."
            ),
            url=requests_page,
            broker=recommended_by.get_full_name() or recommended_by.username,
            sender=party(sender),
            event=event.title,
            message=message[:2000],
        )
        return made
    notify(
        [receiver.user],
        kind=Kind.MEETING_REQUEST,
        subject=gettext_noop("Meeting request: %(sender)s"),
        body=gettext_noop(
            "%(sender)s asks you for a 1:1 meeting at “%(event)s”.\n%(message)s\n"
            "Accept or decline it on the event's Requests page."
        ),
        url=requests_page,
        sender=party(sender),
        event=event.title,
        message=message[:2000],
    )
    return made


def _cancel_declined_meeting(request: MeetingRequest, user) -> None:
    """A pair scheduled on both sides' pending requests, one of which is now declined: its
    meeting goes, unless the pair still has an accepted request (the agenda and the requests page
    must never disagree)."""
    pair = Q(sender=request.sender_id, receiver=request.receiver_id) | Q(
        sender=request.receiver_id, receiver=request.sender_id
    )
    if MeetingRequest.objects.filter(pair, event=request.event_id, status=RequestStatus.ACCEPTED).exists():
        return
    meetings = Meeting.objects.filter(
        Q(holder=request.sender_id, enterprise=request.receiver_id)
        | Q(holder=request.receiver_id, enterprise=request.sender_id),
        event=request.event_id,
        status=MeetingStatus.SCHEDULED,
    )
    for meeting in meetings:
        cancel_meeting(meeting=meeting, user=user)


@transaction.atomic
def answer_request(*, request, user, accept: bool) -> MeetingRequest:
    locked = (
        MeetingRequest.objects.select_for_update(of=("self",))
        .select_related("receiver", "recommended_by")
        .get(pk=request.pk)
    )
    if locked.receiver.user_id != user.pk:
        raise ValidationError({"request": _("Only the person asked can answer.")})
    if locked.status != RequestStatus.PENDING:
        raise ValidationError({"request": _("This request has already been answered.")})
    locked.status = RequestStatus.ACCEPTED if accept else RequestStatus.DECLINED
    locked.save(update_fields=["status"])
    if not accept:
        _cancel_declined_meeting(locked, user)
    from ..participation import party

    sender = Registration.objects.select_related("user", "event").get(pk=locked.sender_id)
    # the answer goes to whoever asked: the broker who recommended the pair, else the sender
    asked_by = locked.recommended_by if locked.recommended_by_id else sender.user
    notify(
        [asked_by],
        kind=Kind.MEETING_ANSWER,
        subject=gettext_noop("Meeting accepted: %(receiver)s")
        if accept
        else gettext_noop("Meeting declined: %(receiver)s"),
        body=gettext_noop(
            "%(receiver)s accepted your request for a meeting at “%(event)s”: it will be on your agenda once "
            "the organiser schedules the meetings."
        )
        if accept
        else gettext_noop("%(receiver)s declined your request for a meeting at “%(event)s”."),
        url=reverse(
            "web-event-pairs" if locked.recommended_by_id else "web-event-agenda" if accept else "web-event-requests",
            args=[sender.event_id],
        ),
        receiver=party(locked.receiver),
        event=sender.event.title,
    )
    return locked
