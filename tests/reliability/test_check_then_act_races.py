"""Check-then-act on PostgreSQL with real concurrent connections: two requests on one match at the
same moment give one note and one refusal; two registrations for an event's last place give one
registration and one "The event is full.".

The gap between the check and the write is widened (a short sleep just before the write) so that
without a lock both requests pass the check every time: the test does not depend on luck."""

import time
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone
from rest_framework.test import APIClient

from events import services as event_services
from events.models import EventStatus, MatchmakingEvent, Registration
from matchmaking import services as match_services
from matchmaking.models import Match, MatchNote, NoteKind

from ..factories import at_the_door, make_achievement, make_need
from .test_concurrency import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

GAP = 0.3


def test_two_requests_on_one_match_at_once_make_one_note(world, monkeypatch):
    broker = world.users["broker"]
    broker.email = "broker@example.cn"
    broker.save(update_fields=["email"])
    match = Match.objects.create(
        need=make_need(world.ent_a),
        achievement=make_achievement(world.inst_a),
        score=0.5,
        algorithm_version="t",
        broker=broker,
    )
    create = MatchNote.objects.create

    def slow_create(**fields):
        time.sleep(GAP)
        return create(**fields)

    monkeypatch.setattr(MatchNote.objects, "create", slow_create)

    def ask():
        try:
            match_services.request_on_match(
                match=Match.objects.get(pk=match.pk),
                actor=world.users["ent_a"],
                kind=NoteKind.MEETING_REQUEST,
                message="想约见面",
            )
        except ValidationError as error:
            return error.message_dict
        return "asked"

    for _ in range(2):
        MatchNote.objects.all().delete()
        mail.outbox.clear()
        results = race([ask, ask])
        assert sorted(results, key=str) == ["asked", {"kind": ["本单位已经提出过，技术经理人会与您联系。"]}], results
        assert MatchNote.objects.filter(match=match, kind=NoteKind.MEETING_REQUEST).count() == 1
        assert [m.to for m in mail.outbox] == [["broker@example.cn"]]  # the broker is e-mailed once


def test_two_registrations_for_the_last_place_make_one(world, monkeypatch):
    start = timezone.now() + timedelta(days=30)
    event = MatchmakingEvent.objects.create(
        title="新能源成果对接会",
        starts_at=start,
        ends_at=start + timedelta(hours=3),
        meeting_minutes=30,
        tables=2,
        capacity=2,
        status=EventStatus.OPEN,
        organiser=world.users["organiser"],
    )
    from events.services import participants

    windows = participants._windows

    def slow_windows(*args, **kwargs):
        time.sleep(GAP)
        return windows(*args, **kwargs)

    monkeypatch.setattr(participants, "_windows", slow_windows)

    def register(name):
        def call():
            client = APIClient()
            client.force_authenticate(world.users[name])
            response = client.post(f"/api/v1/events/{event.pk}/register/", {}, format="json")
            return response.status_code, response.json()

        return call

    for _ in range(2):
        Registration.objects.all().delete()
        Registration.objects.create(event=event, user=world.users["broker"], side="broker")  # one place left
        results = race([register("inst_a"), register("ent_a")])
        codes = sorted(code for code, _body in results)
        assert codes == [201, 400], results
        refusal = next(body for code, body in results if code == 400)
        assert refusal["error"]["fields"] == {"event": ["该活动名额已满。"]}
        assert Registration.objects.filter(event=event).count() == 2


def _event_with_a_waiting_pair(world):
    from events.models import Meeting, MeetingRequest

    start = timezone.now() + timedelta(days=2)
    event = MatchmakingEvent.objects.create(
        title="储能成果对接会",
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        meeting_minutes=30,
        tables=1,
        status=EventStatus.OPEN,
        organiser=world.users["organiser"],
    )
    a = Registration.objects.create(event=event, user=world.users["inst_a"], side="holder", checked_in=True)
    b = Registration.objects.create(event=event, user=world.users["inst_b"], side="holder", checked_in=True)
    firm = Registration.objects.create(event=event, user=world.users["ent_a"], side="enterprise", checked_in=True)
    MeetingRequest.objects.create(event=event, sender=a, receiver=firm, status="accepted")
    MeetingRequest.objects.create(event=event, sender=b, receiver=firm, status="accepted")
    return event, a, b, firm, Meeting


def test_two_answers_to_one_request_at_once_give_one_answer(world, monkeypatch):
    from events.models import MeetingRequest

    event, a, _b, firm, _ = _event_with_a_waiting_pair(world)
    request = MeetingRequest.objects.create(event=event, sender=firm, receiver=a)
    save = MeetingRequest.save

    def slow_save(self, *args, **kwargs):
        time.sleep(GAP)
        return save(self, *args, **kwargs)

    monkeypatch.setattr(MeetingRequest, "save", slow_save)

    def answer(accept):
        def call():
            try:
                return event_services.answer_request(
                    request=MeetingRequest.objects.get(pk=request.pk), user=world.users["inst_a"], accept=accept
                ).status
            except ValidationError as error:
                return error.message_dict

        return call

    results = race([answer(True), answer(False)])
    assert sum(isinstance(r, str) for r in results) == 1, results
    assert [r for r in results if isinstance(r, dict)] == [{"request": ["该邀请已回复。"]}], results
    assert MeetingRequest.objects.get(pk=request.pk).status in ("accepted", "declined")


def test_two_offers_of_freed_tables_at_once_book_nobody_twice(world, monkeypatch):
    event, a, b, firm, Meeting = _event_with_a_waiting_pair(world)
    Meeting.objects.create(event=event, holder=a, enterprise=firm, slot=0, table=1, starts_at=event.starts_at)
    with at_the_door(event, minutes=0):  # the door is open once the event has begun
        event_services.record_no_show(registration=a)
        from events.services import door

        build = door.build_problem

        def slow_build(*args, **kwargs):
            time.sleep(GAP)
            return build(*args, **kwargs)

        monkeypatch.setattr(door, "build_problem", slow_build)

        def offer():
            return len(event_services.fill_freed_slots(event=MatchmakingEvent.objects.get(pk=event.pk)))

        results = race([offer, offer])
        assert sorted(results) == [0, 1], results
        scheduled = Meeting.objects.filter(event=event, status="scheduled")
        assert [(m.holder_id, m.enterprise_id) for m in scheduled] == [(b.pk, firm.pk)]
