"""The enterprise's need form in a real browser: analyse a draft, take suggestions into the form
with one click, edit them, save; and the same at a phone's width."""

import pytest

from enterprises.models import TechnologyNeed
from matchmaking.analysis.learned import forget_cached
from matchmaking.analysis.services import rebuild_learned

from ..factories import ExpertFactory, index_everything, make_achievement, make_need
from .test_role_journeys import shot, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

DESCRIPTION = (
    "我们需要一种储能电池热失控预警技术，在热失控发生前30分钟发出预警，误报率低于1%。"
    "另外，电池包的液冷散热需要改进，温差控制在5℃以内。"
)


@pytest.fixture(autouse=True)
def _hashing_scores_count(monkeypatch):
    from matchmaking.analysis import analyse

    monkeypatch.setattr(analyse, "MIN_PREVIEW_SCORE", 0.0)  # the tests' hashing encoder scores near zero


@pytest.fixture
def platform(world):
    make_achievement(
        world.inst_a,
        title="储能电池热失控早期预警系统",
        abstract="基于气体传感的储能电池热失控早期预警，提前30分钟报警。",
        keywords=["热失控", "预警"],
    )
    make_achievement(
        world.inst_b, title="电池包液冷散热优化", abstract="液冷板流道优化，电池包温差小于3℃。", keywords=["液冷"]
    )
    ExpertFactory(institution=world.inst_a, name="王教授", expertise="储能电池安全与热失控预警")
    for i in range(3):
        make_need(
            world.ent_b, title=f"储能电站热失控监测{i}", description="储能电站需要热失控监测与预警。", required_trl=6
        )
    index_everything()
    rebuild_learned()
    yield
    forget_cached()


@pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])
def test_an_enterprise_analyses_its_draft_and_takes_suggestions(live_server, page, world, platform, width):
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server, "ent_a")
    page.goto(f"{live_server.url}/enterprise/needs/new/")
    page.fill("#id_title", "储能电池热失控预警")
    page.fill("#id_description", DESCRIPTION)
    page.click("button:text('分析需求')")
    page.wait_for_selector("#analysis")
    panel = page.inner_text("#analysis")
    assert "需求解构" in panel and "关键技术术语" in panel
    assert "储能电池热失控早期预警系统" in panel and "王教授" in panel
    assert "要点 1" in panel and "要点 2" in panel
    assert "未写预算" in panel
    # what was typed is still there
    assert page.input_value("#id_title") == "储能电池热失控预警"
    assert page.input_value("#id_description") == DESCRIPTION
    shot(page, f"need-analysis-{width}")
    assert page.evaluate("document.documentElement.scrollWidth") <= width + 1  # no sideways scrolling

    page.fill("#id_keywords", "电池安全")  # typed by the enterprise: taking suggestions keeps it
    page.click("#analysis button[data-take=keywords]")
    keywords = page.input_value("#id_keywords")
    assert keywords.startswith("电池安全，") and "热失控" in keywords
    assert page.locator("main script").count() == 1  # one handler: a second one overwrote the keywords
    page.click("#analysis button[data-take=field] >> nth=0")
    assert page.eval_on_selector("#id_field", "s => s.options[s.selectedIndex].text") == "新能源"
    page.fill("#id_keywords", keywords + "，液冷")  # still editable
    page.click("button:text('保存')")
    page.wait_for_selector("text=已保存")
    need = TechnologyNeed.objects.get(title="储能电池热失控预警")
    assert need.field.code == "new-energy" and "液冷" in need.keywords and len(need.keywords) >= 3


def test_the_analysis_follows_the_writing_without_a_click(live_server, page, world, platform):
    sign_in(page, live_server, "ent_a")
    page.goto(f"{live_server.url}/enterprise/needs/new/")
    page.fill("#id_title", "储能电池热失控预警")
    page.locator("#id_description").press_sequentially(DESCRIPTION[:40], delay=5)
    page.wait_for_selector("#analysis", timeout=15_000)
    assert "储能电池热失控早期预警系统" in page.inner_text("#analysis")
    page.click("#analysis button[data-take=keywords]")
    assert "热失控" in page.input_value("#id_keywords")
    assert TechnologyNeed.objects.filter(title="储能电池热失控预警").count() == 0  # nothing saved
