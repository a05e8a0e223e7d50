"""The committed OpenAPI schema tells the truth about what the API answers: real responses
(success and error) validate against it, extra actions that answer arrays are declared as
arrays, every operation documents its error answers in the one error format, and query
parameters the schema types strictly are refused when they cannot be read."""

import re
from datetime import timedelta
from functools import cache
from pathlib import Path

import jsonschema
import pytest
import yaml
from django.utils import timezone

from enterprises.models import Enterprise
from events.models import MatchmakingEvent, MeetingRequest, Registration
from tests.factories import EnterpriseFactory, make_need
from tests.outcomes.test_challenges import _bid, _published
from tests.outcomes.test_contracts import _contract_body, negotiating  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

SCHEMA = Path(__file__).resolve().parent.parent / "openapi.yaml"
ERROR_CODES = {"400", "401", "403", "404", "409", "413", "415", "429"}


@cache
def _schema() -> dict:
    return yaml.safe_load(SCHEMA.read_text())


def _json_schema(node):
    """OpenAPI 3.0 -> JSON Schema: `nullable: true` becomes "or null"; references stay."""
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: _json_schema(value) for key, value in node.items() if key != "nullable"}
    if node.get("nullable"):
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


def _deref(node: dict) -> dict:
    while "$ref" in node:
        section, kind, name = node["$ref"].removeprefix("#/").split("/")
        node = _schema()[section][kind][name]
    return node


def assert_conforms(response, path: str, method: str = "get"):
    """The response's body validates against what the committed schema declares for its status."""
    operation = _schema()["paths"][path][method]
    declared = operation["responses"].get(str(response.status_code))
    assert declared is not None, f"{method.upper()} {path} does not document {response.status_code}"
    body_schema = _deref(declared)["content"]["application/json"]["schema"]
    document = {**_json_schema(_schema()), **_json_schema(body_schema)}
    jsonschema.Draft4Validator(document).validate(response.json())  # OpenAPI 3.0's dialect: boolean exclusiveMaximum


def test_every_operation_documents_its_error_answers_in_the_one_error_format():
    error = _schema()["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]
    assert _schema()["components"]["schemas"]["ErrorDetail"]["required"] == ["code", "fields", "message"]
    for path, item in _schema()["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            errors = {code for code in responses if code.startswith("4")}
            assert errors <= ERROR_CODES, (method, path, errors)
            for code in errors:
                assert responses[code]["$ref"].startswith("#/components/responses/"), (method, path, code)
            assert "401" in errors, (method, path)
            if "{" in path:
                assert "404" in errors, (method, path)
            if "requestBody" in operation:
                assert "415" in errors, (method, path)
            if method != "get":
                assert {"400", "409", "429"} <= errors, (method, path)


def test_extra_actions_are_declared_as_the_arrays_they_answer():
    paths = _schema()["paths"]
    for path in (
        "/api/v1/challenges/{id}/bids/",
        "/api/v1/challenges/{id}/history/",
        "/api/v1/challenges/{id}/reviewers/",
        "/api/v1/events/{id}/meetings/",
        "/api/v1/events/{id}/registrations/",
        "/api/v1/events/{id}/invite-suggestions/",
    ):
        operation = paths[path]["get"]
        assert operation["responses"]["200"]["content"]["application/json"]["schema"]["type"] == "array", path
        assert not {p["name"] for p in operation.get("parameters", [])} & {"page", "page_size"}, path
    listed = paths["/api/v1/challenges/"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert listed == {"$ref": "#/components/schemas/PaginatedChallengeList"}


def test_bids_and_history_answers_validate_against_the_schema(api, world, as_user):
    challenge = _published(api, world, as_user)
    assert _bid(api, as_user, "inst_a", challenge).status_code == 201
    as_user("organiser")
    bids = api.get(f"/api/v1/challenges/{challenge.pk}/bids/")
    assert bids.status_code == 200 and len(bids.json()) == 1
    assert_conforms(bids, "/api/v1/challenges/{id}/bids/")
    history = api.get(f"/api/v1/challenges/{challenge.pk}/history/")
    assert history.status_code == 200 and [e["action"] for e in history.json()][:1] == ["challenge.submitted"]
    assert_conforms(history, "/api/v1/challenges/{id}/history/")


def test_meetings_registrations_and_requests_answers_validate_against_the_schema(api, world, as_user):
    start = timezone.now() + timedelta(days=10)
    event = MatchmakingEvent.objects.create(
        title="对接会", starts_at=start, ends_at=start + timedelta(hours=3), organiser=world.users["organiser"]
    )
    holder = Registration.objects.create(event=event, user=world.users["inst_a"], side="holder")
    firm = Registration.objects.create(event=event, user=world.users["ent_a"], side="enterprise")
    MeetingRequest.objects.create(event=event, sender=firm, receiver=holder)
    as_user("organiser")
    registrations = api.get(f"/api/v1/events/{event.pk}/registrations/")
    assert sorted(r["user"] for r in registrations.json()) == ["ent_a", "inst_a"]
    assert_conforms(registrations, "/api/v1/events/{id}/registrations/")
    meetings = api.get(f"/api/v1/events/{event.pk}/meetings/")
    assert meetings.json() == []
    assert_conforms(meetings, "/api/v1/events/{id}/meetings/")
    as_user("inst_a")
    requests = api.get("/api/v1/meeting-requests/")
    assert [r["status"] for r in requests.json()["results"]] == ["pending"]
    assert_conforms(requests, "/api/v1/meeting-requests/")
    status = _schema()["components"]["schemas"]["MeetingRequest"]["properties"]["status"]["allOf"][0]
    assert _deref(status)["enum"] == ["pending", "accepted", "declined", "expired"]


def test_a_contract_without_a_licence_validates_against_the_schema(api, world, as_user, negotiating):  # noqa: F811
    as_user("broker")
    created = api.post("/api/v1/contracts/", _contract_body(match=negotiating.pk), format="json")
    assert created.status_code == 201 and created.json()["licence"] is None
    assert_conforms(created, "/api/v1/contracts/", "post")
    listed = api.get("/api/v1/contracts/")
    assert [c["licence"] for c in listed.json()["results"]] == [None]
    assert_conforms(listed, "/api/v1/contracts/")


def test_error_answers_validate_against_the_error_component(api, world, as_user):
    as_user("ent_a")
    missing = api.get("/api/v1/needs/999999/")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert_conforms(missing, "/api/v1/needs/{id}/")
    invalid = api.post("/api/v1/needs/", {"title": ""}, format="json")
    assert invalid.status_code == 400 and "title" in invalid.json()["error"]["fields"]
    assert_conforms(invalid, "/api/v1/needs/", "post")
    api.force_authenticate(None)
    anonymous = api.get("/api/v1/needs/")
    assert anonymous.status_code == 401
    assert_conforms(anonymous, "/api/v1/needs/")


def test_decimal_amounts_are_declared_with_at_least_one_digit():
    amount = _schema()["components"]["schemas"]["ContractCreateRequest"]["properties"]["amount"]
    pattern = re.compile(amount["pattern"])
    assert [bool(pattern.search(s)) for s in ("", ".", "-1", "12", "12.5", ".50", "1234567890123.00")] == [
        False,
        False,
        False,
        True,
        True,
        True,
        False,
    ]


@pytest.mark.parametrize(
    "query",
    ["page_size=abc", "page_size=0", "page_size=²", "page_size=5&page_size=6", "page=", "page=x", "page=-1"],
)
def test_unreadable_paging_parameters_are_refused_naming_the_parameter(as_user, world, query):
    make_need(world.ent_a, title="公开需求")
    response = as_user("broker").get(f"/api/v1/needs/?{query}")
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == [query.split("=")[0]]


def test_paging_parameters_that_can_be_read_still_work(as_user, world):
    for n in range(3):
        make_need(world.ent_a, title=f"公开需求{n}")
    client = as_user("broker")
    second = client.get("/api/v1/needs/?page_size=2&page=2").json()
    assert (second["count"], len(second["results"]), second["next"]) == (3, 1, None)
    assert len(client.get("/api/v1/needs/?page_size=100000").json()["results"]) == 3  # capped, not refused
    assert client.get("/api/v1/needs/?page=3&page_size=2").status_code == 404


@pytest.mark.parametrize("value", ["maybe", "", "1", "True"])
def test_unreadable_boolean_filters_are_refused(as_user, world, value):
    response = as_user("broker").get(f"/api/v1/enterprises/?is_high_tech={value}")
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["is_high_tech"]


def test_boolean_filters_filter(as_user, world):
    EnterpriseFactory(name="高新企业", is_high_tech=True)
    client = as_user("broker")
    names = lambda q: sorted(e["name"] for e in client.get(f"/api/v1/enterprises/?{q}").json()["results"])  # noqa: E731
    assert names("is_high_tech=true") == ["高新企业"]
    assert names("is_high_tech=false") == sorted(
        Enterprise.objects.exclude(name="高新企业").values_list("name", flat=True)
    )
    assert len(names("")) == 3


def _event(hours=3, **overrides):
    start = timezone.now().replace(microsecond=0) + timedelta(days=10)
    payload = {
        "title": "新能源成果对接会",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=hours)).isoformat(),
        "meeting_minutes": 30,
        "tables": 3,
        "capacity": 50,
    }
    return {**payload, **overrides}


@pytest.mark.parametrize(
    "change, field",
    [  # what the fuzzer sent: an event from the year 992 to 2499, with 18 billion tables
        ({"starts_at": "0992-01-09T14:03:36.8358-11:35"}, "starts_at"),
        ({"ends_at": "2499-01-17T21:59:04Z"}, "ends_at"),
        ({"registration_deadline": "1999-12-31T00:00:00Z"}, "registration_deadline"),
        ({"tables": 18167112804}, "tables"),
        ({"capacity": 417198959}, "capacity"),
        ({"meeting_minutes": 241}, "meeting_minutes"),
    ],
)
def test_implausible_events_are_refused_naming_the_field(as_user, world, change, field):
    response = as_user("organiser").post("/api/v1/events/", _event(hours=8, **change), format="json")
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == [field]
    assert not MatchmakingEvent.objects.exists()


def test_an_event_cannot_be_stretched_beyond_a_week(as_user, world):
    client = as_user("organiser")
    created = client.post("/api/v1/events/", _event(), format="json")
    assert created.status_code == 201
    event = MatchmakingEvent.objects.get(pk=created.json()["id"])
    longer = (event.starts_at + timedelta(days=7, minutes=1)).isoformat()
    response = client.patch(f"/api/v1/events/{event.pk}/", {"ends_at": longer}, format="json")
    assert response.status_code == 400 and list(response.json()["error"]["fields"]) == ["ends_at"]
    assert MatchmakingEvent.objects.get(pk=event.pk).ends_at == event.ends_at
    week = (event.starts_at + timedelta(days=7)).isoformat()
    assert client.patch(f"/api/v1/events/{event.pk}/", {"ends_at": week}, format="json").status_code == 200


def test_report_years_are_declared_with_the_bounds_the_server_applies(as_user, world):
    year = _schema()["paths"]["/api/v1/reports/kpi/"]["get"]["parameters"][0]
    assert (year["name"], year["schema"]) == ("year", {"type": "integer", "minimum": 2000, "maximum": 2100})
    client = as_user("organiser")
    assert client.get("/api/v1/reports/kpi/?year=2100").status_code == 200
    assert client.get("/api/v1/reports/kpi/?year=2101").status_code == 400


@pytest.mark.parametrize(
    "url, name",
    [  # what the coverage phase sent
        ("/api/v1/achievements/?updated_after=", "updated_after"),
        ("/api/v1/achievements/?trl_min=", "trl_min"),
        ("/api/v1/achievements/?language=", "language"),
        ("/api/v1/needs/?required_trl_max=0.5", "required_trl_max"),
        ("/api/v1/achievements/?trl_max=6.5", "trl_max"),
        ("/api/v1/matches/?score_min=", "score_min"),
    ],
)
def test_filter_values_the_schema_does_not_allow_are_refused(as_user, world, url, name):
    response = as_user("broker").get(url)
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == [name]


def test_filters_that_can_be_read_still_filter(as_user, world):
    from tests.factories import make_achievement

    make_achievement(world.inst_a, title="中试成果", trl=6)
    make_achievement(world.inst_a, title="实验室成果", trl=3)
    client = as_user("broker")
    titles = lambda q: [a["title"] for a in client.get(f"/api/v1/achievements/?{q}").json()["results"]]  # noqa: E731
    assert titles("trl_min=6") == ["中试成果"]
    assert sorted(titles("trl_max=6&search=")) == ["中试成果", "实验室成果"]  # empty text is "no filter"
    assert client.get("/api/v1/matches/?district=").status_code == 200
