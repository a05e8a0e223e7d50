"""Sensitive actions land in the audit log: who saw a confidential need, stage changes, exports."""

import pytest
from django.test import Client

from core.models import AuditEntry
from matchmaking.models import Match, MatchEvent
from tests.factories import make_achievement, make_need

pytestmark = pytest.mark.django_db


def test_confidential_need_views_and_exports_are_audited(api, as_user, world):
    secret = make_need(world.ent_a, title="保密需求", confidentiality="brokers")
    public = make_need(world.ent_a, title="公开需求")
    as_user("broker")
    assert api.get(f"/api/v1/needs/{secret.pk}/").status_code == 200
    assert api.get(f"/api/v1/needs/{public.pk}/").status_code == 200
    views = AuditEntry.objects.filter(action="need.viewed_confidential")
    assert list(views.values_list("actor__username", "object_id")) == [("broker", str(secret.pk))]
    as_user("ent_a")  # the enterprise reading its own need is not an event
    api.get(f"/api/v1/needs/{secret.pk}/")
    assert views.count() == 1
    api.get("/api/v1/needs/export/?file_format=csv")
    export = AuditEntry.objects.get(action="export")
    assert export.actor == world.users["ent_a"] and export.detail == {"what": "needs", "rows": 2, "file_format": "csv"}


def test_broker_page_view_of_a_confidential_need_and_stage_changes_are_recorded(world):
    need = make_need(world.ent_a, title="保密需求", confidentiality="brokers")
    achievement = make_achievement(world.inst_a)
    match = Match.objects.create(
        need=need, achievement=achievement, score=0.5, algorithm_version="t", broker=world.users["broker"]
    )
    client = Client()
    client.force_login(world.users["broker"])
    client.get(f"/broker/matches/{match.pk}/")
    client.post(f"/broker/matches/{match.pk}/transition/", {"stage": "shortlisted", "version": 1})
    assert AuditEntry.objects.filter(action="need.viewed_confidential", actor=world.users["broker"]).exists()
    event = MatchEvent.objects.get(match=match)  # every stage change: who, when, from, to
    assert (event.actor, event.from_stage, event.to_stage) == (world.users["broker"], "suggested", "shortlisted")
