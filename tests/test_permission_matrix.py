"""The generated permission matrix: every API operation in the committed schema and every web
page, as every role (anonymous, institution A and B, enterprise A and B, broker, organiser,
admin), against rows that belong to A. A denied read leaks nothing (no private title, not even a
count); a denied write leaves the whole database unchanged; nothing answers 500. The matrix is
written to test-artifacts/permission-matrix.md for review. The rendering check at the end plants
marker words in hidden records and walks every API GET and web page as every role."""

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

from accounts.models import Role

from .factories import UserFactory, make_achievement, make_need

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
    "/broker/needs/{needs}/analysis/",
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
    "/organiser/events/",
    "/organiser/events/{events}/",
    "/events/",
    "/achievements/{achievements}/",
    "/needs/{needs}/",
    "/institutions/{institutions}/",
    "/enterprises/{enterprises}/",
    "/dashboard/",
    "/dashboard/download/",
    "/admin-tools/rematch/",
    "/challenges/",
    "/challenges/{challenges}/",
    "/notifications/",
    "/notifications/settings/",
    "/organiser/events/new/",
    "/join/",
    "/join/thanks/",
]
PUBLIC_PAGES = {"/", "/join/", "/join/thanks/"}  # a visitor's: what the platform is and how to join


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
        if role == "anonymous" and page in PUBLIC_PAGES:
            assert response.status_code == 200 and SECRET not in response.content.decode()
        elif role == "anonymous":
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


# -- the rendering check ---------------------------------------------------------------------------
#
# The matrix above tests what each endpoint is *for*; this one tests every place that *renders* a
# record. Marker words are planted in records some roles may not see, with related rows around them
# (matches, meetings, challenges) so that side channels (suggestions, agendas, histories, exports,
# e-mails) have something to leak. Then, as each role, every API GET operation of the committed
# schema and every web page of the URL resolver is fetched with the ids of the planted and related
# rows filled in, list operations also searched for each marker, and no marker may appear in an
# answer or in an e-mail to someone who may not see it. A new endpoint or page is walked
# automatically; one whose ids the walk cannot fill in fails until it is added to IDS_FOR.

MARKERS = {  # marker -> the roles that may see it
    "ZQXBROKERSNEED": {"ent_a", "broker", "admin"},  # a published "brokers only" need of enterprise A
    "ZQXCHALLENGENEED": {"ent_a", "broker", "organiser", "admin"},  # brokers-only, submitted: the committee
    "ZQXDRAFTNEED": {"ent_a", "admin"},  # a draft need of enterprise A
    "ZQXDRAFTACH": {"inst_a", "admin"},  # a draft achievement of institution A
    "ZQXARCHIVEDACH": {"inst_a", "admin"},  # an archived achievement of institution A
    "ZQXOPENBID": {"inst_a", "organiser", "admin"},  # institution A's bid, while bidding is open
    "ZQXJOBADVICE": {"organiser", "admin"},  # a planning job's result: its owner's (and admins')
    "ZQXCONTRACT": {
        "inst_a",
        "ent_a",
        "broker",
        "organiser",
        "admin",
    },  # A and A's contract: parties, broker, committee
}


@pytest.fixture
def planted(world, django_capture_on_commit_callbacks):
    from events.models import MatchmakingEvent, Meeting, Registration
    from matchmaking.models import Match
    from outcomes import challenges
    from outcomes.models import Challenge

    for name, organisation in [
        ("inst_a", "institution"),
        ("inst_b", "institution"),
        ("ent_a", "enterprise"),
        ("ent_b", "enterprise"),
    ]:
        # colleagues who are not registered for the event: whom the invite suggestions name
        role = Role.INSTITUTION if organisation == "institution" else Role.ENTERPRISE
        UserFactory(username=f"{name}_2", role=role, **{organisation: getattr(world.users[name], organisation)})
    for name, user in world.users.items():
        user.email = f"{name}@example.com"
        user.is_staff = name in ("inst_a", "inst_b", "admin")  # institution members use /admin/ too
        user.is_superuser = name == "admin"
        user.save()
    soon = timezone.localdate() + timedelta(days=30)
    with django_capture_on_commit_callbacks(execute=True):
        brokers_need = make_need(
            world.ent_a, title="ZQXBROKERSNEED 固态电池", description="ZQXBROKERSNEED 描述", confidentiality="brokers"
        )
        challenge_need = make_need(
            world.ent_a,
            title="ZQXCHALLENGENEED 电解质",
            confidentiality="brokers",
            is_challenge=True,
            challenge_award=50,
            challenge_closes_on=soon,
        )
        draft_need = make_need(world.ent_a, title="ZQXDRAFTNEED 储能", status="draft")
        public_need_a = make_need(world.ent_a, title="公开需求甲")
        public_need_b = make_need(
            world.ent_b, title="公开榜单乙", is_challenge=True, challenge_award=80, challenge_closes_on=soon
        )
        draft_ach = make_achievement(world.inst_a, title="ZQXDRAFTACH 电解质", status="draft")
        archived_ach = make_achievement(world.inst_a, title="ZQXARCHIVEDACH 隔膜")
        archived_ach.status = "archived"
        archived_ach.save(update_fields=["status"])
        published_a = make_achievement(world.inst_a, title="公开成果甲")
        published_b = make_achievement(world.inst_b, title="公开成果乙")
        broker = world.users["broker"]
        matches = [
            Match.objects.create(
                need=need,
                achievement=ach,
                score=score,
                rank=1,
                algorithm_version="t",
                broker=broker,
                explanation={"shared_terms": ["固态电池"], "reasons": []},
            )
            for need, ach, score in [
                (brokers_need, published_b, 0.99),
                (challenge_need, published_b, 0.98),
                (draft_need, published_b, 0.97),
                (public_need_b, archived_ach, 0.96),
                (public_need_b, draft_ach, 0.95),
                (public_need_a, published_b, 0.5),
                (public_need_b, published_a, 0.5),
            ]
        ]
        # a brokers-only need published as a challenge before consent existed: shown to no one
        # who may not see the need
        legacy = Challenge.objects.create(need=challenge_need, stage="published", award=50, closes_on=soon)
        open_challenge = challenges.challenge_submit(actor=world.users["ent_b"], need=public_need_b)
        challenges.challenge_screen(actor=world.users["organiser"], challenge=open_challenge, approve=True)
        challenges.challenge_publish(actor=world.users["organiser"], challenge=open_challenge)
        bid = challenges.bid_submit(
            actor=world.users["inst_a"],
            challenge=open_challenge,
            team_name="ZQXOPENBID 团队",
            proposal="ZQXOPENBID 方案",
            budget=40,
            timeline_months=12,
        )
        from events.models import Programme

        programme = Programme.objects.create(name="年度计划", year=2027, organiser=world.users["organiser"])
        start = timezone.now() + timedelta(days=10)
        event = MatchmakingEvent.objects.create(
            title="对接会",
            starts_at=start,
            ends_at=start + timedelta(hours=3),
            organiser=world.users["organiser"],
            status="open",
        )
        people = {
            name: Registration.objects.create(event=event, user=world.users[name], side=side)
            for name, side in [
                ("inst_b", "holder"),
                ("ent_a", "enterprise"),
                ("inst_a", "holder"),
                ("ent_b", "enterprise"),
            ]
        }
        # what each brings: enterprise A a brokers-only need; institution A an achievement it has
        # since taken back to draft and one it archived (chosen while published)
        people["ent_a"].needs.set([brokers_need, public_need_a])
        people["inst_a"].achievements.set([draft_ach, archived_ach, published_a])
        # institution B meets enterprise A (whose best need for B is brokers-only); enterprise B
        # meets institution A (whose best achievements for B are archived and draft)
        meetings = [
            Meeting.objects.create(
                event=event,
                holder=people[h],
                enterprise=people[e],
                slot=slot,
                table=1,
                starts_at=start,
                status="scheduled",
            )
            for slot, (h, e) in enumerate([("inst_b", "ent_a"), ("inst_a", "ent_b")])
        ]
        from notifications.services import notify

        # enterprise A is told of suggestions for its brokers-only need: no one else reads that
        notify(
            [world.users["ent_a"]],
            kind="new_matches",
            subject="New suggestions for your need “%(need)s”",
            body=(
                "The matching found %(count)s new achievement that may answer it.",
                "The matching found %(count)s new achievements that may answer it.",
            ),
            url=f"/enterprise/needs/{brokers_need.pk}/suggestions/",
            need=brokers_need.title,
            count=1,
        )
        from matchmaking.interest import express_interest

        # enterprise A offers its brokers-only need for institution B's achievement: only the
        # broker (and A) may read that
        interests = [
            express_interest(
                actor=world.users["ent_a"],
                achievement_id=published_b.pk,
                need_id=brokers_need.pk,
                message="ZQXBROKERSNEED",
            ),
            express_interest(actor=world.users["inst_b"], need_id=public_need_a.pk, achievement_id=published_b.pk),
        ]
    from notifications.models import Notification
    from outcomes.models import TechnologyContract, UseFirstLicence

    contract = TechnologyContract.objects.create(
        contract_type="licence",
        title="ZQXCONTRACT 先使用后付费许可",
        amount=10,
        signed_on=timezone.localdate(),
        institution=world.inst_a,
        enterprise=world.ent_a,
        broker=world.users["broker"],
    )
    licence = UseFirstLicence.objects.create(
        contract=contract,
        free_use_from=timezone.localdate(),
        free_use_until=timezone.localdate() + timedelta(days=60),
        evaluation="ZQXCONTRACT 评价",
    )
    from types import SimpleNamespace

    from core import jobs

    # a finished planning job of the organiser's: its state is the organiser's alone
    job_id = jobs.create(kind="plan", owner=world.users["organiser"])
    jobs.update(job_id, state="done", advice=["ZQXJOBADVICE"])
    return {
        "jobs": [SimpleNamespace(pk=job_id)],
        "contracts": [contract],
        "licences": [licence],
        "interests": interests,
        "notifications": list(Notification.objects.order_by("pk")),
        "needs": [brokers_need, challenge_need, draft_need, public_need_a, public_need_b],
        "achievements": [draft_ach, archived_ach, published_a, published_b],
        "matches": matches,
        "challenges": [legacy, open_challenge],
        "bids": [bid],
        "events": [event],
        "programmes": [programme],
        "meetings": meetings,
        "registrations": list(people.values()),
        "enterprises": [world.ent_a, world.ent_b],
        "institutions": [world.inst_a, world.inst_b],
    }


def _rows(model_label):
    model = apps.get_model(model_label)
    return lambda planted: list(model.objects.order_by("pk")[:3])


# which planted rows fill in `{id}` (API) or `<pk>` (web) for a resource; a resource missing here
# fails the walk, so a new endpoint cannot go unchecked
IDS_FOR = {
    "jobs": lambda p: p["jobs"],
    "needs": lambda p: p["needs"],
    "achievements": lambda p: p["achievements"],
    "matches": lambda p: p["matches"],
    "challenges": lambda p: p["challenges"],
    "bids": lambda p: p["bids"],
    "events": lambda p: p["events"],
    "enterprises": lambda p: p["enterprises"],
    "institutions": lambda p: p["institutions"],
    "meeting-requests": _rows("events.MeetingRequest"),
    "experts": _rows("achievements.Expert"),
    "contracts": _rows("outcomes.TechnologyContract"),
    "licences": _rows("outcomes.UseFirstLicence"),
    "programmes": _rows("events.Programme"),
    "venues": _rows("events.Venue"),
    "rooms": _rows("events.Room"),
    "holidays": _rows("events.PublicHoliday"),
    "targets": _rows("outcomes.ProgrammeTarget"),
    "fields": _rows("core.TechnicalField"),
    "districts": _rows("core.District"),
    "transfer-modes": _rows("core.TransferMode"),
    "notifications": lambda p: p["notifications"],
    "interests": lambda p: p["interests"],
}
WEB_IDS_FOR = {  # web paths by their first two segments
    "broker/matches": "matches",
    "broker/needs": "needs",
    "institution/achievements": "achievements",
    "enterprise/needs": "needs",
    "enterprise/matches": "matches",
    "organiser/events": "events",
    "organiser/programmes": "programmes",
    "events": "events",
    "challenges": "challenges",
    "achievements": "achievements",
    "needs": "needs",
    "institutions": "institutions",
    "enterprises": "enterprises",
    "notifications": "notifications",
    "broker/interests": "interests",
    "contracts/licences": "licences",
}
# web URL patterns the walk leaves out, and why
WEB_SKIPPED = (
    "api/",  # walked from the committed schema
    "accounts/",  # Django's sign-in, sign-out and password pages: they render no record
    "i18n/",  # the language switch
    "admin/login/",
    "admin/logout/",
    "admin/password_change/",
    "admin/jsi18n/",
    "admin/autocomplete/",  # answers only with the admin's own search permissions
    "admin/r/",  # "view on site" redirects
)


def _web_templates():
    """Every web page of the URL resolver as a path with `{name}` placeholders."""
    import re

    from django.urls import URLResolver, get_resolver

    def walk(patterns, prefix):
        for pattern in patterns:
            text = str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + text)
            else:
                yield prefix + text

    for route in walk(get_resolver().url_patterns, ""):
        if route.startswith(WEB_SKIPPED) or "^" in route or "(?P" in route:
            continue  # regular-expression routes: only the admin's app index and catch-all
        yield re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)


def _web_urls(planted, route):
    """Concrete URLs for a web route: each planted row of its resource, or of its admin model."""
    if "{" not in route:
        return ["/" + route]
    if route.startswith("admin/"):
        app_label, model_name = route.split("/")[1:3]
        rows = apps.get_model(app_label, model_name).objects.order_by("pk")
        planted_rows = [obj for key in planted for obj in planted[key] if hasattr(obj, "_meta")]  # a job is no row
        ids = [obj.pk for obj in planted_rows if obj._meta.model is rows.model] or list(
            rows.values_list("pk", flat=True)[:2]
        )
        return ["/" + route.replace("{object_id}", str(pk)).replace("{id}", str(pk)) for pk in ids]
    if "{job_id}" in route:
        return ["/" + route.replace("{job_id}", "0123456789abcdef")]
    prefix = "/".join(route.split("/")[:2]) if route.count("/") > 2 else route.split("/")[0]
    resource = WEB_IDS_FOR.get(prefix) or WEB_IDS_FOR.get(route.split("/")[0])
    assert resource, f"the rendering walk does not know which rows fill in /{route}: add it to WEB_IDS_FOR"
    return ["/" + route.replace("{pk}", str(obj.pk)) for obj in planted[resource]]


def _api_urls(planted, path):
    if "{" not in path:
        searched = [
            p["name"] for p in SCHEMA["paths"][path]["get"].get("parameters", []) if p["name"] in ("q", "search")
        ]
        return [path] + [
            f"{path}?" + "&".join(f"{name}={marker}" for name in searched) for marker in MARKERS if searched
        ]
    resource = path.split("/")[3]
    assert resource in IDS_FOR, f"the rendering walk does not know which rows fill in {path}: add it to IDS_FOR"
    urls = []
    for obj in IDS_FOR[resource](planted) or [None]:
        url = path.replace("{id}", str(getattr(obj, "pk", 999999))).replace("{job_id}", str(getattr(obj, "pk", "")))
        url = url.replace("{meeting_id}", str(planted["meetings"][0].pk)).replace("{attachment_id}", "1")
        urls.append(url)
    return urls


def _text(response) -> str:
    """What a reader gets: the body, with spreadsheets unzipped and HTML entities decoded."""
    import html
    import io
    import zipfile

    body = b"".join(response.streaming_content) if getattr(response, "streaming", False) else response.content
    if body[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            body = b" ".join(archive.read(name) for name in archive.namelist())
    text = body.decode("utf-8", errors="replace")
    return html.unescape(text.replace("<mark>", "").replace("</mark>", ""))


def _leaks(role, where, text) -> list[str]:
    return [
        f"{where} as {role} shows {marker}"
        for marker, allowed in MARKERS.items()
        if marker in text and role not in allowed
    ]


API_GETS = [path for path, method in OPERATIONS if method == "GET"]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_no_page_or_answer_renders_what_the_role_may_not_see(world, planted, role, django_capture_on_commit_callbacks):
    from django.core import mail

    leaks = []
    for message in mail.outbox:  # e-mails sent while the rows were planted
        for address in message.to:
            leaks += _leaks(address.split("@")[0], f"e-mail {message.subject!r}", message.subject + message.body)
    mail.outbox.clear()
    api, web = client_for(world, role), Client()
    if role != "anonymous":
        web.force_login(world.users[role])
    fetched = 0
    with django_capture_on_commit_callbacks(execute=True):
        for path in API_GETS:
            for url in _api_urls(planted, path):
                response = api.get(url)
                assert response.status_code < 500, f"GET {url} as {role}: {response.status_code}"
                leaks += _leaks(role, f"GET {url}", _text(response))
                fetched += 1
        for route in _web_templates():
            if route.startswith("admin/") and (role == "admin" or route.endswith("{object_id}/")):
                continue  # the admin may see every marker; the bare object URL only redirects
            for url in _web_urls(planted, route):
                response = web.get(url)
                assert response.status_code < 500, f"page {url} as {role}: {response.status_code}"
                leaks += _leaks(role, f"page {url}", _text(response))
                fetched += 1
    for message in mail.outbox:  # e-mails the walk itself sent
        for address in message.to:
            leaks += _leaks(address.split("@")[0], f"e-mail {message.subject!r}", message.subject + message.body)
    assert fetched > 150  # the walk really walked
    assert leaks == [], "\n".join(leaks)


# -- who may credit whom ---------------------------------------------------------------------------

MATCH_WRITES = [
    (path, method) for path, method in OPERATIONS if path.startswith("/api/v1/matches/{id}/") and method != "GET"
]


@pytest.mark.django_db
def test_no_one_but_its_broker_or_the_committee_works_a_match_or_credits_a_contract(world, private_rows):
    """As every role that may not work the match (another broker, a broker whose agency is the
    achievement's institution's office, the parties, organisers), every write on the match and a
    contract recorded from it are refused, and so is a contract without a source for everyone but
    the committee; each refusal leaves every table unchanged."""
    from accounts.models import Agency

    match = private_rows["matches"]
    match.stage = "negotiating"
    match.save(update_fields=["stage"])
    TechnologyContract = apps.get_model("outcomes", "TechnologyContract")
    TechnologyContract.objects.filter(match=match).delete()
    others = {
        "other_broker": UserFactory(username="other_broker", role=Role.BROKER, agency=world.agency),
        "conflicted": UserFactory(
            username="conflicted",
            role=Role.BROKER,
            agency=Agency.objects.create(name="甲大学技术转移中心", institution=world.inst_a),
        ),
    }
    match.broker = others["conflicted"]  # assigned, but with a conflict of interest
    match.save(update_fields=["broker"])
    today = timezone.localdate().isoformat()
    contract = {"contract_type": "transfer", "title": "合同", "amount": "10", "signed_on": today}
    direct = {**contract, "institution": world.inst_a.pk, "enterprise": world.ent_a.pk, "direct_reason": "线下"}
    writes = [
        (f"POST {path}", path.replace("{id}", str(match.pk)), {"stage": "declined", "reason": "price"})
        for path, method in MATCH_WRITES
    ]
    writes += [("POST /api/v1/contracts/ (match)", "/api/v1/contracts/", {**contract, "match": match.pk})]
    checked = 0
    for who in ["broker", "other_broker", "conflicted", "inst_a", "ent_a", "inst_b", "ent_b"]:
        client = APIClient()
        client.force_authenticate(others.get(who) or world.users[who])
        cases = writes + [("POST /api/v1/contracts/ (no source)", "/api/v1/contracts/", direct)]
        for label, url, body in cases:
            before = fingerprint()
            response = client.post(url, body, format="json")
            assert response.status_code in (400, 403, 404), f"{label} as {who}: {response.status_code}"
            assert fingerprint() == before, f"refused {label} as {who} changed the database"
            checked += 1
    assert checked == 7 * (len(MATCH_WRITES) + 2) and MATCH_WRITES
