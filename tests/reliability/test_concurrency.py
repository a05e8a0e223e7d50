"""Real concurrency on PostgreSQL: two brokers change the same match at the same moment (one wins,
the other gets 409), and two identical POSTs with one Idempotency-Key race (one thing is made)."""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from enterprises.models import TechnologyNeed
from matchmaking.models import Match, MatchEvent

from ..factories import make_achievement, make_need

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def race(calls) -> list:
    """Run the calls in threads released together; each thread has its own database connection."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            results[index] = call()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_two_people_change_one_match_at_once(world):
    """The match's own broker and an admin (the only others who may work it) at the same moment."""
    other = world.users["admin"]
    match = Match.objects.create(
        need=make_need(world.ent_a),
        achievement=make_achievement(world.inst_a),
        score=0.5,
        algorithm_version="t",
        broker=world.users["broker"],
    )

    def transition(user, stage):
        def call():
            client = APIClient()
            client.force_authenticate(user)
            return client.post(
                f"/api/v1/matches/{match.pk}/transition/", {"stage": stage, "version": 1}, format="json"
            ).status_code

        return call

    for _ in range(3):  # a few rounds, so the race is really run
        Match.objects.filter(pk=match.pk).update(stage="suggested", version=1)
        MatchEvent.objects.all().delete()
        codes = race([transition(world.users["broker"], "shortlisted"), transition(other, "shortlisted")])
        assert sorted(codes) == [200, 409], codes
        assert MatchEvent.objects.filter(match=match).count() == 1
        assert Match.objects.get(pk=match.pk).version == 2


def test_racing_posts_with_one_idempotency_key_make_one_need(world):
    def post():
        client = APIClient()
        client.force_authenticate(world.users["ent_a"])
        return client.post(
            "/api/v1/needs/",
            {"title": "寻求固态电池技术", "description": "储能柜需要更安全的电池。", "field": "new-energy"},
            format="json",
            HTTP_IDEMPOTENCY_KEY="race-1",
        ).status_code

    codes = race([post, post, post])
    assert TechnologyNeed.objects.count() == 1
    assert codes.count(201) >= 1 and set(codes) <= {201, 409}
