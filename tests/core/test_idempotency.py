"""Repeated POSTs with the same Idempotency-Key create one thing."""

import pytest

from enterprises.models import TechnologyNeed

pytestmark = pytest.mark.django_db

NEED = {"title": "寻求固态电池技术", "description": "储能柜需要更安全的电池。", "field": "new-energy"}


def test_the_same_key_creates_once_and_replays_the_response(api, as_user):
    as_user("ent_a")
    first = api.post("/api/v1/needs/", NEED, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = api.post("/api/v1/needs/", NEED, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert TechnologyNeed.objects.count() == 1
    assert api.post("/api/v1/needs/", NEED, format="json", HTTP_IDEMPOTENCY_KEY="k-2").status_code == 201
    assert TechnologyNeed.objects.count() == 2


def test_a_key_reused_for_another_request_is_refused(api, as_user):
    as_user("ent_a")
    api.post("/api/v1/needs/", NEED, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    other = api.post("/api/v1/needs/", {**NEED, "title": "别的需求"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert other.status_code == 422 and other.json()["error"]["code"] == "idempotency_key_reused"
    assert TechnologyNeed.objects.count() == 1


def test_keys_belong_to_their_client_and_bad_keys_are_refused(api, as_user, world):
    from rest_framework.authtoken.models import Token

    as_user(None)
    for name in ("ent_a", "admin"):
        token = Token.objects.create(user=world.users[name])
        body = {**NEED, "enterprise": world.ent_a.pk} if name == "admin" else NEED
        response = api.post(
            "/api/v1/needs/", body, format="json", HTTP_IDEMPOTENCY_KEY="same", HTTP_AUTHORIZATION=f"Token {token.key}"
        )
        assert response.status_code == 201, response.content
    assert TechnologyNeed.objects.count() == 2
    bad = api.post("/api/v1/needs/", NEED, format="json", HTTP_IDEMPOTENCY_KEY="x" * 101)
    assert bad.status_code == 400 and TechnologyNeed.objects.count() == 2


def test_a_refused_request_is_replayed_as_refused(api, as_user):
    as_user("ent_a")
    bad = api.post("/api/v1/needs/", {"title": ""}, format="json", HTTP_IDEMPOTENCY_KEY="k-9")
    again = api.post("/api/v1/needs/", {"title": ""}, format="json", HTTP_IDEMPOTENCY_KEY="k-9")
    assert bad.status_code == again.status_code == 400 and not TechnologyNeed.objects.exists()
