"""The generated permission matrix: every API operation in the committed schema and every web
page, as every role (anonymous, institution A and B, enterprise A and B, broker, organiser,
admin), against rows that belong to A. A denied read leaks nothing (no private title, not even a
count); a denied write leaves the whole database unchanged; nothing answers 500. The matrix is
written to test-artifacts/permission-matrix.md for review."""

import hashlib
import json
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from django.apps import apps
from django.db import transaction
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from .factories import make_achievement, make_need

ROOT = Path(__file__).resolve().parents[1]
ROLES = ["anonymous", "inst_a", "inst_b", "ent_a", "ent_b", "broker", "organiser", "admin"]
SECRET = "机密-"  # every private row's title starts with this
SCHEMA = yaml.safe_load((ROOT / "openapi.yaml").read_text())
OPERATIONS = [
    (path, method.upper())
    for path, item in SCHEMA["paths"].items()
    for method in item
    if method in ("get", "post", "patch", "put", "delete") and not path.endswith("/auth/logout/")
]
IGNORED_MODELS = {"sessions.session", "authtoken.token", "core.idempotencyrecord"}
MATRIX: dict = {}


@pytest.fixture
def private_rows(world):
    """Rows of institution A and enterprise A that others must not see or change."""
    from events.models import MatchmakingEvent, Meeting, Registration
    from matchmaking.models import Match
    from outcomes import challenges
    from outcomes.contracts import contract_create
    from outcomes.models import ProgrammeTarget

    soon = timezone.localdate() + timedelta(days=30)
    achievement = make_achievement(world.inst_a, title=f"{SECRET}草稿成果", status="draft")
    published = make_achievement(world.inst_a, title="公开成果")
    need = make_need(world.ent_a, title=f"{SECRET}保密需求", confidentiality="brokers")
    draft_need = make_need(world.ent_a, title=f"{SECRET}草稿需求", status="draft")
    challenge_need = make_need(
        world.ent_a,
        title=f"{SECRET}待审榜单",
        status="draft",
        is_challenge=True,
        challenge_award=50,
        challenge_closes_on=soon,
    )
    challenge = challenges.challenge_submit(actor=world.users["ent_a"], need=challenge_need)
    match = Match.objects.create(
        need=need,
        achievement=published,
        score=0.5,
        algorithm_version="t",
        broker=world.users["broker"],
        stage="negotiating",
    )
    contract = contract_create(
        actor=world.users["organiser"],
        contract_type="licence",
        title=f"{SECRET}许可合同",
        amount=10,
        signed_on=timezone.localdate(),
        match=match,
        use_first={"free_use_from": timezone.localdate(), "free_use_until": soon},
    )
    start = timezone.now() + timedelta(days=10)
    event = MatchmakingEvent.objects.create(
        title=f"{SECRET}草稿活动",
        starts_at=start,
        ends_at=start + timedelta(hours=3),
        organiser=world.users["organiser"],
    )
    holder = Registration.objects.create(event=event, user=world.users["inst_a"], side="holder")
    firm = Registration.objects.create(event=event, user=world.users["ent_a"], side="enterprise")
    meeting = Meeting.objects.create(event=event, holder=holder, enterprise=firm, slot=0, table=1, starts_at=start)
    ProgrammeTarget.objects.create(year=timezone.localdate().year)
    return {
        "achievements": achievement,
        "needs": draft_need,
        "challenges": challenge,
        "contracts": contract,
        "licences": contract.licence,
        "events": event,
        "matches": match,
        "meeting_id": meeting,
        "enterprises": world.ent_a,
        "institutions": world.inst_a,
    }


def fingerprint() -> str:
    digest = hashlib.sha256()
    for model in sorted(apps.get_models(), key=lambda m: m._meta.label_lower):
        if model._meta.label_lower in IGNORED_MODELS or model._meta.proxy:
            continue
        rows = list(model.objects.order_by("pk").values_list())
        digest.update(f"{model._meta.label_lower}:{json.dumps(rows, default=str)}".encode())
    return digest.hexdigest()


def concrete(path: str, rows) -> str:
    resource = path.split("/")[3]
    obj = rows.get(resource)
    concrete_path = path.replace("{id}", str(obj.pk if obj is not None else 999999))
    concrete_path = concrete_path.replace("{meeting_id}", str(rows["meeting_id"].pk))
    return concrete_path.replace("{attachment_id}", "1")


def client_for(world, role) -> APIClient:
    client = APIClient()
    if role != "anonymous":
        client.force_authenticate(world.users[role])
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("path, method", OPERATIONS, ids=[f"{m} {p}" for p, m in OPERATIONS])
def test_every_operation_as_every_role(world, private_rows, path, method):
    url = concrete(path, private_rows)
    for role in ROLES:
        client = client_for(world, role)
        with transaction.atomic():
            before = fingerprint() if method != "GET" else None
            response = getattr(client, method.lower())(url, {}, format="json") if method != "GET" else client.get(url)
            status = response.status_code
            body = b"" if getattr(response, "streaming", False) else response.content
            denied = status in (401, 403, 404, 405)
            assert status < 500, f"{method} {url} as {role}: {status}"
            if role == "anonymous":
                assert status in (401, 403, 404, 405) or path.endswith(("/auth/token/", "/schema/", "/docs/")), (
                    f"{method} {url} answered {status} to an anonymous caller"
                )
            if denied:
                text = body.decode(errors="replace")
                assert SECRET not in text and '"count"' not in text, f"{method} {url} as {role} leaks: {text[:300]}"
            if denied and before is not None:
                assert fingerprint() == before, f"denied {method} {url} as {role} changed the database"
            transaction.set_rollback(True)  # each role starts from the same rows
        MATRIX.setdefault(f"{method} {path}", {})[role] = status


WEB_PAGES = [
    "/",
    "/broker/inbox/",
    "/broker/pipeline/",
    "/broker/matches/{matches}/",
    "/broker/needs/{needs}/experts/",
    "/search/?q=固态",
    "/institution/achievements/",
    "/institution/achievements/new/",
    "/institution/achievements/{achievements}/",
    "/institution/achievements/{achievements}/enterprises/",
    "/institution/import/",
    "/enterprise/needs/",
    "/enterprise/needs/new/",
    "/enterprise/needs/{needs}/",
    "/enterprise/needs/{needs}/suggestions/",
    "/organiser/calendar/",
    "/organiser/events/{events}/",
    "/dashboard/",
    "/dashboard/download/",
    "/admin-tools/rematch/",
    "/challenges/",
    "/challenges/{challenges}/",
]


@pytest.mark.django_db
@pytest.mark.parametrize("page", WEB_PAGES)
def test_every_web_page_as_every_role(world, private_rows, page):
    url = page
    for key, obj in private_rows.items():
        url = url.replace("{" + key + "}", str(obj.pk))
    for role in ROLES:
        client = Client()
        if role != "anonymous":
            client.force_login(world.users[role])
        response = client.get(url)
        assert response.status_code < 500, f"{url} as {role}"
        if role == "anonymous":
            assert response.status_code == 302 and "/accounts/login/" in response.url
        elif response.status_code in (403, 404):
            assert SECRET not in response.content.decode(errors="replace"), f"{url} as {role} leaks"
        MATRIX.setdefault(f"PAGE {page}", {})[role] = response.status_code


def teardown_module(module):
    if not MATRIX:
        return
    lines = ["| operation | " + " | ".join(ROLES) + " |", "|---|" + "---|" * len(ROLES)]
    lines += [f"| `{op}` | " + " | ".join(str(codes.get(r, "")) for r in ROLES) + " |" for op, codes in MATRIX.items()]
    out = ROOT / "test-artifacts"
    out.mkdir(exist_ok=True)
    (out / "permission-matrix.md").write_text("\n".join(lines) + "\n")
