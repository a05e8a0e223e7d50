"""The institution, enterprise, broker, organiser and admin pages, server-side."""

import io
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from openpyxl import Workbook

from achievements.importing import COLUMNS
from achievements.models import Achievement
from enterprises.models import TechnologyNeed
from matchmaking import services
from matchmaking.models import Match, MatchNote, Stage
from outcomes.models import Challenge, TechnologyContract

from ..factories import index_everything, make_achievement, make_need, technical_field


def text(response) -> str:
    """The page's text without tags (highlighting splits words with <mark>)."""
    return re.sub(r"<[^>]+>", "", response.content.decode())


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def matched(world):
    achievement = make_achievement(
        world.inst_a, title="固态锂电池电解质", keywords=["固态电池"], abstract="复合固态电解质提高储能电池安全性。"
    )
    need = make_need(
        world.ent_a, title="寻求固态电池技术", keywords=["固态电池"], description="储能柜需要更安全的电池。"
    )
    index_everything()
    services.rematch_needs([need.pk])
    match = Match.objects.get(need=need, achievement=achievement)
    Match.objects.filter(pk=match.pk).update(broker=world.users["broker"])
    return Match.objects.get(pk=match.pk)


def _form(**extra):
    return {
        "title": "一种新型钙钛矿太阳能电池",
        "abstract": "转换效率提升到25%，寿命提高3倍。",
        "keywords": "钙钛矿，光伏，太阳能电池",
        "field": technical_field().pk,
        "trl": "5",
        "maturity_stage": "",
        "language": "zh-hans",
        **extra,
    }


def test_institution_creates_edits_and_sees_listing_hints(world):
    client = client_for(world.users["inst_a"])
    assert client.get("/").url == "/institution/achievements/"
    missing = client.post("/institution/achievements/new/", _form(title=""))
    assert missing.status_code == 200 and 'class="field invalid"' in missing.content.decode()
    assert not Achievement.objects.exists()
    created = client.post("/institution/achievements/new/", _form(publish="on"))
    achievement = Achievement.objects.get(title="一种新型钙钛矿太阳能电池")
    assert created.url == f"/institution/achievements/{achievement.pk}/" and achievement.status == "published"
    page = client.get(created.url).content.decode()
    assert "没有知识产权状态" in page and "没有价格" in page and "没有联系人" in page
    assert "没有量化优势" not in page  # the abstract says by how much
    client.post(
        created.url,
        _form(
            patent_numbers="ZL202110123456.7",
            patent_status="granted",
            asking_price_min="50",
            contact_name="王老师",
            contact_phone="028-1234",
        ),
    )
    page = client.get(created.url).content.decode()
    assert "没有知识产权状态" not in page and "没有价格" not in page
    assert achievement.patents.get().number == "ZL202110123456.7"
    bad_patent = client.post(created.url, _form(patent_numbers="12345", patent_status="granted"))
    assert "不是有效的专利号" in bad_patent.content.decode()


def test_institutions_cannot_touch_each_others_achievements(world, matched):
    other = client_for(world.users["inst_b"])
    assert other.get(f"/institution/achievements/{matched.achievement_id}/").status_code == 404
    assert other.post(f"/institution/achievements/{matched.achievement_id}/", _form()).status_code == 404
    assert client_for(world.users["ent_a"]).get("/institution/achievements/").status_code == 403


def test_matching_enterprises_show_public_needs_only(world, matched, monkeypatch):
    from achievements import views

    monkeypatch.setattr(views, "WEAK_MATCH", 0.0)  # the tests' hash vectors are not calibrated
    make_need(world.ent_b, title="保密的固态电池需求", keywords=["固态电池"], confidentiality="brokers")
    page = text(
        client_for(world.users["inst_a"]).get(f"/institution/achievements/{matched.achievement_id}/enterprises/")
    )
    assert "寻求固态电池技术" in page and "保密的固态电池需求" not in page


def test_the_count_of_matching_enterprises_leaves_out_brokers_only_needs(world, matched):
    """The count beside "see enterprises" told an institution how many hidden needs it matched."""
    secret = make_need(world.ent_b, title="保密的固态电池需求", keywords=["固态电池"], confidentiality="brokers")
    index_everything()
    services.rematch_needs([secret.pk])
    assert Match.objects.filter(achievement_id=matched.achievement_id).count() == 2
    Match.objects.filter(achievement_id=matched.achievement_id).update(score=0.5)
    page = client_for(world.users["inst_a"]).get("/institution/achievements/").content.decode()
    assert re.findall(r"查看企业</a> \((\d+)\)", page) == ["1"]
    Match.objects.filter(pk=matched.pk).update(score=0.1)  # a weak match the page leaves out is not counted
    page = client_for(world.users["inst_a"]).get("/institution/achievements/").content.decode()
    assert re.findall(r"查看企业</a> \((\d+)\)", page) == ["0"]


def _workbook(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append([c.zh for c in COLUMNS])
    for row in rows:
        sheet.append([row.get(c.key, "") for c in COLUMNS])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_upload_runs_as_a_job_and_shows_every_bad_row(world, django_capture_on_commit_callbacks):
    client = client_for(world.users["inst_a"])
    good = {"title": "成果一", "abstract": "摘要", "field": "新能源", "trl": 4}
    bad = {"title": "成果二", "abstract": "摘要", "field": "不存在的领域", "trl": 12}
    upload = SimpleUploadedFile("成果.xlsx", _workbook([good, bad]))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/institution/import/", {"file": upload, "on_duplicate": "error"})
    job_url = response.url
    page = client.get(job_url).content.decode()  # tasks run eagerly in tests: the job has finished
    assert 'id="bad-rows"' in page and "不存在的领域" in page
    assert not Achievement.objects.exists()
    status = client.get(job_url.replace("/institution/import/", "/jobs/") + "status/").json()
    assert status["state"] == "failed" and {r["row"] for r in status["rows"]} == {3}
    assert client_for(world.users["inst_b"]).get(job_url).status_code == 404  # someone else's job

    upload = SimpleUploadedFile("成果.xlsx", _workbook([good]))
    with django_capture_on_commit_callbacks(execute=True):
        job_url = client.post("/institution/import/", {"file": upload, "on_duplicate": "error"}).url
    assert "导入了 1 项成果" in client.get(job_url).content.decode()
    assert Achievement.objects.get().title == "成果一"


def test_enterprise_posts_a_need_and_a_challenge(world, django_capture_on_commit_callbacks):
    client = client_for(world.users["ent_a"])
    assert client.get("/").url == "/enterprise/needs/"
    form = {
        "title": "寻求废旧电池回收技术",
        "description": "提高锂回收率。",
        "keywords": "电池回收，锂",
        "field": technical_field().pk,
        "confidentiality": "public",
        "language": "zh-hans",
        "publish": "on",
    }
    client.post("/enterprise/needs/new/", form)
    need = TechnologyNeed.objects.get(title="寻求废旧电池回收技术")
    assert need.status == "published" and need.keywords == ["电池回收", "锂"]
    no_award = client.post("/enterprise/needs/new/", {**form, "title": "揭榜：高效回收", "is_challenge": "on"})
    assert "奖励" in no_award.content.decode() and not TechnologyNeed.objects.filter(title="揭榜：高效回收").exists()
    closes = (timezone.localdate() + timedelta(days=40)).isoformat()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/enterprise/needs/new/",
            {
                **form,
                "title": "揭榜：高效回收",
                "is_challenge": "on",
                "challenge_award": "300",
                "challenge_closes_on": closes,
            },
        )
    challenge = Challenge.objects.get(need__title="揭榜：高效回收")
    assert challenge.stage == "submitted" and challenge.need.status == "draft"  # published after screening
    assert "已提交待审核" in client.get("/enterprise/needs/").content.decode()
    assert client_for(world.users["ent_b"]).get(f"/enterprise/needs/{need.pk}/").status_code == 404


@pytest.mark.parametrize(
    ("score", "zh", "en"),
    [(0.81, "匹配度高", "Strong fit"), (0.3, "可能匹配", "Possible fit"), (0.05, "匹配度弱", "Weak fit")],
)
def test_every_suggestion_says_in_words_how_well_it_fits(world, matched, score, zh, en):
    Match.objects.filter(pk=matched.pk).update(score=score)
    pages = {
        "ent_a": f"/enterprise/needs/{matched.need_id}/suggestions/",
        "broker": "/broker/inbox/",
    }
    for user, url in pages.items():
        assert zh in text(client_for(world.users[user]).get(url)), user
    assert zh in text(client_for(world.users["broker"]).get(f"/broker/matches/{matched.pk}/"))
    english = Client(HTTP_ACCEPT_LANGUAGE="en")
    english.force_login(world.users["ent_a"])
    assert en in text(english.get(pages["ent_a"]))


def test_enterprise_sees_suggestions_and_asks_for_an_introduction(world, matched, django_capture_on_commit_callbacks):
    world.users["broker"].email = "broker@example.org"
    world.users["broker"].save()
    make_achievement(world.inst_b, title="未发布的固态电池成果", keywords=["固态电池"], status="draft")
    client = client_for(world.users["ent_a"])
    page = text(client.get(f"/enterprise/needs/{matched.need_id}/suggestions/"))
    assert "固态锂电池电解质" in page and "未发布的固态电池成果" not in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/enterprise/matches/{matched.pk}/request/", {"kind": "introduction_request", "message": "盼复"})
    assert MatchNote.objects.get(match=matched).kind == "introduction_request"
    assert mail.outbox[-1].to == ["broker@example.org"]
    card = client.get(f"/enterprise/needs/{matched.need_id}/suggestions/").content.decode()
    assert "本单位已向技术经理人提出" in card and 'value="introduction_request"' not in card  # the card says so
    again = client.post(f"/enterprise/matches/{matched.pk}/request/", {"kind": "introduction_request"}, follow=True)
    assert "已经提出过" in again.content.decode() and MatchNote.objects.count() == 1
    assert again.redirect_chain[0][0].endswith(f"#m{matched.pk}")  # back at the card, not the top of the page
    assert (
        client_for(world.users["ent_b"])
        .post(f"/enterprise/matches/{matched.pk}/request/", {"kind": "introduction_request"})
        .status_code
        == 404
    )


def test_broker_pipeline_note_introduction_and_contract(world, matched, django_capture_on_commit_callbacks):
    world.users["ent_a"].email = "ent@example.org"
    world.users["ent_a"].save()
    world.users["inst_a"].email = "inst@example.org"
    world.users["inst_a"].save()
    client = client_for(world.users["broker"])
    board = client.get("/broker/pipeline/").content.decode()
    assert "寻求固态电池技术" in board and "col-suggested" in board
    client.post(f"/broker/matches/{matched.pk}/note/", {"text": "对方下周有空"})
    assert "对方下周有空" in client.get(f"/broker/matches/{matched.pk}/").content.decode()
    url = f"/broker/matches/{matched.pk}/transition/"
    client.post(url, {"stage": "shortlisted", "version": 1})
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"stage": "introduced", "version": 2, "confirm": "yes"})
    assert sorted(m.to[0] for m in mail.outbox) == ["ent@example.org", "inst@example.org"]
    assert "028" in mail.outbox[0].body or "联系" in mail.outbox[0].body
    client.post(url, {"stage": "negotiating", "version": 3})
    rejected = client.post(
        f"/broker/matches/{matched.pk}/contract/",
        {"contract_type": "transfer", "title": "固态电解质转让合同", "amount": "-5", "signed_on": "2026-13-40"},
    )
    html = rejected.content.decode()
    assert rejected.status_code == 400 and html.count('<p class="error" role="alert">') == 2  # each beside its field
    assert '<details class="contract" id="contract" open>' in html  # the form is open, not collapsed
    assert 'value="固态电解质转让合同"' in html and not TechnologyContract.objects.exists()
    signed = client.post(
        f"/broker/matches/{matched.pk}/contract/",
        {
            "contract_type": "transfer",
            "title": "固态电解质转让合同",
            "amount": "150",
            "signed_on": timezone.localdate().isoformat(),
        },
        follow=True,
    )
    assert "合同已登记" in signed.content.decode()
    assert Match.objects.get(pk=matched.pk).stage == Stage.CONTRACT_SIGNED
    assert TechnologyContract.objects.get().amount == 150


def test_expert_suggestions_and_search_pages(world, matched):
    from ..factories import ExpertFactory

    ExpertFactory(institution=world.inst_a, name="张教授", expertise="固态电池电解质材料")
    index_everything()
    client = client_for(world.users["broker"])
    assert "张教授" in client.get(f"/broker/needs/{matched.need_id}/experts/").content.decode()
    results = client_for(world.users["ent_a"]).get("/search/", {"q": "固态电池"})
    assert "固态锂电池电解质" in text(results) and "<mark>" in results.content.decode()


def test_organiser_calendar_dashboard_and_downloads(world):
    from events.models import MatchmakingEvent

    start = timezone.localtime().replace(day=10, hour=9, minute=0, second=0, microsecond=0)
    MatchmakingEvent.objects.create(
        title="人工智能专场", starts_at=start, ends_at=start + timedelta(hours=3), organiser=world.users["organiser"]
    )
    client = client_for(world.users["organiser"])
    assert "人工智能专场" in client.get("/organiser/calendar/").content.decode()
    dashboard = client.get("/dashboard/").content.decode()
    assert "<svg" in dashboard and "技术合同成交额" in dashboard
    download = client.get("/dashboard/download/", {"by": "field"})
    assert download["Content-Type"].startswith("text/csv")
    for who in ("broker", "inst_a", "ent_a"):
        assert client_for(world.users[who]).get("/dashboard/").status_code == 403
        assert client_for(world.users[who]).get("/organiser/calendar/").status_code == 403


def test_admin_rematch_job_shows_progress(world, matched, django_capture_on_commit_callbacks):
    client = client_for(world.users["admin"])
    with django_capture_on_commit_callbacks(execute=True):
        job_url = client.post("/admin-tools/rematch/").url
    status = client.get(job_url + "status/").json()
    assert status["state"] == "done" and status["done"] == status["total"] == 1
    assert client_for(world.users["broker"]).post("/admin-tools/rematch/").status_code == 403
    assert client_for(world.users["broker"]).get(job_url + "status/").status_code == 404


def test_dashboard_download_falls_back_to_csv_for_an_unknown_format(world):
    response = client_for(world.users["organiser"]).get("/dashboard/download/", {"by": "colour", "file_format": "pdf"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    xlsx = client_for(world.users["organiser"]).get("/dashboard/download/", {"by": "field", "file_format": "xlsx"})
    assert xlsx["Content-Disposition"].endswith('.xlsx"')


@pytest.mark.parametrize("role", ["inst_a", "ent_a", "broker", "organiser", "admin"])
def test_the_header_search_link_opens_the_web_search_page(world, role):
    """The API and the web page shared the URL name `search`: the header opened the API (a 400)."""
    client = client_for(world.users[role])
    page = client.get("/search/").content.decode()
    links = re.findall(r'<a href="([^"]+)">[^<]*(?:搜索|Search)</a>', page)
    assert links == ["/search/"]
    assert client.get(links[0], {"q": "电池"}).status_code == 200


def test_the_matching_enterprises_page_reloads_itself_while_the_achievement_is_prepared(world):
    achievement = make_achievement(world.inst_a, title="新成果", keywords=["电池"], abstract="一种电池。")
    client = client_for(world.users["inst_a"])
    url = f"/institution/achievements/{achievement.pk}/enterprises/"
    preparing = client.get(url).content.decode()
    assert 'id="preparing"' in preparing and "window.location.reload()" in preparing
    index_everything()
    ready = client.get(url).content.decode()
    assert 'id="preparing"' not in ready and "window.location.reload()" not in ready
