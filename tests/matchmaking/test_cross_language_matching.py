"""With the default multilingual model (converted by `make setup`), an English need is matched with
the Chinese achievement that fits it, through the production path: embedding, the language
centres fitted by the worker, the stored index, the fusion and the stored matches."""

import pytest
from django.conf import settings as django_settings

from matchmaking import centring, indexing, services
from matchmaking.models import Match

from ..conftest import IN_CI
from ..factories import index_everything, make_achievement, make_need

CHINESE = [
    ("功率半导体器件", "面向新能源汽车电驱逆变器的碳化硅功率半导体器件，降低开关损耗，提高耐高温能力。"),
    ("水稻抗病育种", "利用分子标记辅助选择培育抗稻瘟病水稻新品种，产量稳定。"),
    ("工业视觉缺陷检测", "基于深度学习的工业产品表面缺陷视觉检测系统，用于钢板和玻璃产线。"),
    ("中药有效成分提取", "超临界二氧化碳萃取中药材有效成分的工艺，收率高、无溶剂残留。"),
    ("污水脱氮除磷", "城市污水生物脱氮除磷工艺，降低运行能耗和药剂用量。"),
    ("桥梁健康监测", "基于光纤传感的大跨度桥梁结构健康监测与预警系统。"),
    ("锂电池回收", "湿法冶金回收废旧锂电池中的锂、钴、镍金属。"),
    ("茶叶加工机械", "名优绿茶自动化杀青与揉捻加工成套设备。"),
    ("无人机巡检", "输电线路无人机自主巡检与缺陷识别系统。"),
    ("生物可降解材料", "聚乳酸生物可降解包装材料的改性与加工技术。"),
    ("智能灌溉", "基于土壤墒情传感器的农田智能节水灌溉控制系统。"),
    ("医学影像分析", "肺部CT影像结节自动检测与良恶性辅助诊断算法。"),
]
ENGLISH = [
    ("Perovskite solar cells", "Stable perovskite thin films for high-efficiency photovoltaic modules."),
    ("Natural language processing", "A transformer model for legal document summarisation."),
    ("Protein crystallography", "Methods for growing protein crystals for X-ray structure determination."),
    ("Urban traffic simulation", "Agent-based simulation of city traffic flows for signal planning."),
    ("Coffee roasting control", "Temperature profile control for small batch coffee roasting machines."),
    ("Marine corrosion coatings", "Anti-corrosion coatings for offshore steel structures in sea water."),
    ("Recommendation systems", "Collaborative filtering for online retail product recommendations."),
    ("Seismic imaging", "Full waveform inversion for subsurface seismic imaging in oil exploration."),
    ("Speech recognition", "Low-latency automatic speech recognition for call centre audio."),
    ("Textile dyeing", "Low-water reactive dyeing process for cotton fabrics."),
    ("Quantum key distribution", "Fibre-based quantum key distribution for secure communication links."),
    ("Sports analytics", "Player tracking data analysis for football team tactics."),
]
NEED = (
    "Power semiconductor devices",
    "We need silicon carbide power semiconductor devices for electric vehicle inverters, "
    "with lower switching losses and better high-temperature operation.",
)


@pytest.fixture
def e5(settings):
    path = django_settings.E5_MODEL_DIR
    if not (path / "modules.json").exists():
        # `make test` converts it first; only a bare pytest on an unprepared machine lacks it
        if IN_CI:
            pytest.fail("the converted multilingual model is missing in CI: `make test` must convert it")
        pytest.skip("the converted multilingual model is missing: run `make setup`")
    settings.EMBEDDING_MODEL = str(path)
    settings.EMBEDDING_EXTRA_MODELS = []
    return settings


def _ranked(need) -> list[tuple[str, dict]]:
    services.rematch_needs([need.pk])
    matches = Match.objects.filter(need=need).select_related("achievement").order_by("rank")
    return [(m.achievement.title, m.components) for m in matches]


def _by_meaning(ranked) -> str:
    return max(ranked, key=lambda pair: pair[1]["dense"])[0]


def test_an_english_need_finds_the_chinese_achievement_that_fits(db, e5, monkeypatch):
    monkeypatch.setattr(centring, "MIN_RECORDS", 20)
    for title, abstract in CHINESE:
        make_achievement(title=title, abstract=abstract, keywords=[], language="zh-hans")
    for title, abstract in ENGLISH:
        make_achievement(title=title, abstract=abstract, keywords=[], language="en")
    need = make_need(title=NEED[0], description=NEED[1], keywords=[], language="en")
    index_everything()

    assert indexing.refit_centres()
    indexing.recentre_all(indexing.pending_recentring())
    centred = _ranked(need)
    titles = [title for title, _ in centred]
    assert _by_meaning(centred) == "功率半导体器件", centred[:5]
    # first, above the English records that share a generic word with it ("high", "temperature")
    assert titles[0] == "功率半导体器件", centred[:3]
    assert centred[0][1]["cross_language"] == 1.0
