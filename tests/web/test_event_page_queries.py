"""The event pages read a fixed number of queries whatever the number of partners (exact counts,
so that a new N+1 shows up here)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Role
from events.models import MatchmakingEvent, Meeting, MeetingRequest, Registration

from ..factories import EnterpriseFactory, UserFactory, make_achievement, make_need


@pytest.fixture
def event(world):
    start = timezone.localtime().replace(hour=9, minute=0, second=0, microsecond=0) + timedelta(days=7)
    return MatchmakingEvent.objects.create(
        title="储能成果对接会",
        starts_at=start,
        ends_at=start + timedelta(hours=3),
        meeting_minutes=30,
        tables=10,
        capacity=50,
        organiser=world.users["organiser"],
        registration_deadline=start - timedelta(days=1),
        status="open",
    )


@pytest.fixture
def holder(world, event):
    registration = Registration.objects.create(event=event, user=world.users["inst_a"], side="holder")
    registration.achievements.set([make_achievement(world.inst_a, title="固态电池电解质")])
    return registration


def _partners(event, holder, n):
    """n more enterprises, each bringing a need, asking the holder and meeting it."""
    first = Meeting.objects.filter(event=event).count()
    for k in range(first, first + n):
        enterprise = EnterpriseFactory()
        registration = Registration.objects.create(
            event=event, user=UserFactory(role=Role.ENTERPRISE, enterprise=enterprise), side="enterprise"
        )
        registration.needs.set([make_need(enterprise, title=f"储能需求{k}")])
        MeetingRequest.objects.create(event=event, sender=registration, receiver=holder, message="想交流")
        Meeting.objects.create(
            event=event,
            holder=holder,
            enterprise=registration,
            slot=k,
            table=1,
            starts_at=event.starts_at + timedelta(minutes=30 * k),
        )


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(context.captured_queries)


PARTICIPANT_PAGES = {"participants/": 13, "requests/": 10, "agenda/": 12, "agenda.ics": 6}
ORGANISER_PAGES = {"": 12, "?view=slots": 12, "check-in/?q=e": 8, "grid/print/": 5}


@pytest.mark.parametrize("page, expected", PARTICIPANT_PAGES.items())
def test_participant_pages_read_a_fixed_number_of_queries(world, event, holder, page, expected):
    client = Client()
    client.force_login(world.users["inst_a"])
    _partners(event, holder, 1)
    one = _queries(client, f"/events/{event.pk}/{page}")
    _partners(event, holder, 2)
    assert (one, _queries(client, f"/events/{event.pk}/{page}")) == (expected, expected)


@pytest.mark.parametrize("page, expected", ORGANISER_PAGES.items())
def test_organiser_pages_read_a_fixed_number_of_queries(world, event, holder, page, expected):
    client = Client()
    client.force_login(world.users["organiser"])
    _partners(event, holder, 1)
    one = _queries(client, f"/organiser/events/{event.pk}/{page}")
    _partners(event, holder, 2)
    assert (one, _queries(client, f"/organiser/events/{event.pk}/{page}")) == (expected, expected)


def test_every_agenda_in_the_zip_costs_a_few_queries_per_participant(world, event, holder):
    """Each agenda is read with its own participant's visibility, so the zip grows by a fixed
    number of queries per participant (not per meeting)."""
    client = Client()
    client.force_login(world.users["organiser"])
    _partners(event, holder, 1)
    two = _queries(client, f"/organiser/events/{event.pk}/agendas.zip")  # the holder and one partner
    _partners(event, holder, 2)
    four = _queries(client, f"/organiser/events/{event.pk}/agendas.zip")
    assert four - two == 2 * ((four - two) // 2) and (four - two) // 2 <= 5
