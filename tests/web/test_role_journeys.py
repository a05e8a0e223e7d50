"""Each role's main journey in a real browser (headless Chromium): the institution's upload
with a bad row and a new listing, the enterprise's need and introduction request, and the
organiser's calendar and dashboard. Screenshots of these pages illustrate the README."""

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from openpyxl import Workbook

from achievements.importing import COLUMNS
from achievements.models import Achievement
from matchmaking import services
from matchmaking.models import Match, MatchNote
from outcomes.models import TechnologyContract

from ..factories import index_everything, make_achievement, make_need

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
SCREENSHOTS = os.environ.get("README_SCREENSHOTS")  # set to a folder to refresh the README's pictures


def sign_in(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "secret-pass-123")
    page.click("button[type=submit]")
    page.wait_for_load_state()


def shot(page, name):
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)


def spreadsheet(tmp_path, rows) -> str:
    book = Workbook()
    sheet = book.active
    sheet.append([c.zh for c in COLUMNS])
    for row in rows:
        sheet.append([row.get(c.key, "") for c in COLUMNS])
    path = tmp_path / "成果清单.xlsx"
    book.save(path)
    return str(path)


def test_institution_uploads_a_file_with_a_bad_row_then_lists_an_achievement(live_server, page, world, tmp_path):
    sign_in(page, live_server, "inst_a")
    page.wait_for_url("**/institution/achievements/")
    page.click("text=上传表格")
    good = {"title": "低温等离子体消毒设备", "abstract": "杀菌率99.9%", "field": "新能源", "trl": 5}
    bad = {"title": "高强度碳纤维复合材料", "abstract": "强度提升30%", "field": "不存在的领域", "trl": 15}
    page.set_input_files("#id_file", spreadsheet(tmp_path, [good, bad]))
    page.click("text=上传并导入")
    page.wait_for_selector("#bad-rows")
    cells = page.inner_text("#bad-rows")
    assert "3" in cells and "技术领域" in cells and "不存在的领域" in cells
    shot(page, "institution-upload-bad-row")
    assert not Achievement.objects.exists()  # nothing half-written

    page.click("text=上传修改后的文件")
    page.set_input_files("#id_file", spreadsheet(tmp_path, [good]))
    page.click("text=上传并导入")
    page.wait_for_selector("text=导入了 1 项成果")

    page.goto(f"{live_server.url}/institution/achievements/new/")
    page.fill("#id_title", "一种柔性钙钛矿太阳能电池")
    page.fill("#id_abstract", "柔性基底，转换效率提升到25%。")
    page.fill("#id_keywords", "钙钛矿，光伏，柔性")
    page.select_option("#id_field", label="新能源")
    page.select_option("#id_trl", "4")
    page.check("#id_publish")
    page.click("button:text('保存')")
    page.wait_for_selector("#hints")
    assert "没有知识产权状态" in page.inner_text("#hints")
    shot(page, "institution-achievement-hints")
    assert Achievement.objects.get(title="一种柔性钙钛矿太阳能电池").status == "published"


def test_enterprise_posts_a_need_and_asks_for_an_introduction(live_server, page, world):
    achievement = make_achievement(world.inst_a, title="固态锂电池电解质", keywords=["固态电池"])
    need = make_need(world.ent_a, title="寻求固态电池技术", keywords=["固态电池"])
    index_everything()
    services.rematch_needs([need.pk])
    sign_in(page, live_server, "ent_a")
    page.wait_for_url("**/enterprise/needs/")
    page.click("text=发布需求")
    page.fill("#id_title", "寻求工业视觉缺陷检测方案")
    page.fill("#id_description", "产线需要实时检测表面划痕。")
    page.fill("#id_keywords", "机器视觉，缺陷检测")
    page.select_option("#id_field", index=1)
    page.check("#id_publish")
    page.click("button:text('保存')")
    page.wait_for_selector("text=已保存")

    page.goto(f"{live_server.url}/enterprise/needs/{need.pk}/suggestions/")
    if page.locator("#weak").count():  # the test encoder scores every pair weak: they are folded away
        page.click("#weak summary")
    assert "固态锂电池电解质" in page.inner_text("main")
    page.fill("input[name=message]", "希望尽快对接")
    page.click("button:text('发送')")
    page.wait_for_selector("text=已通知技术经理人")
    shot(page, "enterprise-suggestions")
    match = Match.objects.get(need=need, achievement=achievement)
    assert MatchNote.objects.get(match=match).text == "希望尽快对接"


def test_organiser_sees_calendar_and_dashboard(live_server, page, world):
    from events.models import MatchmakingEvent

    start = timezone.localtime().replace(hour=9, minute=0, second=0, microsecond=0)
    MatchmakingEvent.objects.create(
        title="新材料专场", starts_at=start, ends_at=start + timedelta(hours=3), organiser=world.users["organiser"]
    )
    TechnologyContract.objects.create(
        contract_type="transfer", title="合同", amount=120, signed_on=timezone.localdate(), institution=world.inst_a
    )
    sign_in(page, live_server, "organiser")
    page.click("text=日历")
    assert "新材料专场" in page.inner_text(".calendar")
    shot(page, "organiser-calendar")
    page.click("text=数据看板")
    assert page.locator("svg.chart rect").count() >= 12
    assert "120" in page.inner_text("#kpi")
    shot(page, "organiser-dashboard")
    with page.expect_download() as download:
        page.click("text=年度报表（.xlsx）")
    assert download.value.suggested_filename.endswith(".xlsx")


def test_broker_pipeline_screenshot(live_server, page, world):
    achievement = make_achievement(world.inst_a, title="固态锂电池电解质", keywords=["固态电池"])
    need = make_need(world.ent_a, title="寻求固态电池技术", keywords=["固态电池"])
    index_everything()
    services.rematch_needs([need.pk])
    Match.objects.filter(need=need, achievement=achievement).update(broker=world.users["broker"])
    sign_in(page, live_server, "broker")
    page.click("text=进度看板")
    assert "寻求固态电池技术" in page.inner_text(".board")
    shot(page, "broker-pipeline")
    page.click(".tile")
    page.wait_for_selector("#stage")
    shot(page, "broker-match")
