"""The parts of need analysis: key-term candidates and scorer, field suggestions, points, hints."""

import json

import numpy as np
import pytest

from matchmaking.analysis import hints, points
from matchmaking.analysis.fields import FieldModel
from matchmaking.analysis.learned import default_terms
from matchmaking.analysis.terms import FEATURE_COUNT, TermModel, candidates, corpus_stats, fit_term_model, key_terms

ZH_RECORDS = [
    (
        "一种复合固态电解质的制备方法",
        "本发明提出复合固态电解质，提高固态电池的安全性和离子电导率。固态电解质膜厚度小于20微米。",
        ["固态电解质", "固态电池"],
    ),
    ("水稻抗稻瘟病分子育种", "利用分子标记辅助选择，培育抗稻瘟病水稻新品种，产量提高10%。", ["分子育种", "稻瘟病"]),
    (
        "工业视觉缺陷检测系统",
        "基于深度学习的缺陷检测算法，实现产线实时缺陷检测，检出率达到99%。",
        ["缺陷检测", "深度学习"],
    ),
    ("锂电池正极材料回收", "湿法冶金回收废旧锂电池正极材料中的镍钴锰，回收率大于95%。", ["正极材料", "湿法冶金"]),
] * 5  # a corpus large enough to fit on, small enough for a unit test


def test_candidates_join_words_the_segmenter_split_and_skip_generic_words_alone():
    found = candidates("水电站厂房模态分析", "对水电站厂房进行模态分析，得到厂房结构的自振频率。")
    assert "模态分析" in found and "水电站厂房" in found
    assert "分析" not in found and "进行" not in found  # generic alone, and a function word
    assert all(len(text) >= 2 for text in found)
    english = candidates("Power semiconductor devices", "We need power semiconductor devices for electric vehicles.")
    assert "power semiconductor devices" in {k.lower() for k in english}
    assert not {"we", "need", "for"} & {k.lower() for k in english}
    mixed = candidates("", "基于IGBT的功率模块封装")
    assert "IGBT" in mixed and "功率模块封装" in mixed


def test_the_stored_term_model_scores_as_the_fitted_trees():
    records = [(t, x) for t, x, _ in ZH_RECORDS]
    stats, found = corpus_stats(records)
    model = fit_term_model(records, [k for _, _, k in ZH_RECORDS], stats, found)
    again = TermModel.from_dict(json.loads(json.dumps(model.to_dict())))
    rows = np.random.default_rng(0).normal(size=(50, FEATURE_COUNT))
    assert np.allclose(model.score(rows), again.score(rows), atol=1e-5)
    terms = [t["term"] for t in key_terms(*records[0], again, stats, limit=5)]
    assert "固态电解质" in terms[:3]


def test_a_term_model_over_other_features_is_refused():
    data = default_terms()[0].to_dict()
    data["features"] = FEATURE_COUNT - 1
    with pytest.raises(ValueError, match="features"):
        TermModel.from_dict(data)


def test_a_stored_analysis_model_from_an_older_version_falls_back_to_the_shipped_scorer():
    from matchmaking.analysis.learned import Learned, _empty

    data = _empty().to_dict()
    data["terms"]["features"] = FEATURE_COUNT - 2  # what an older version stored
    learned = Learned.from_dict("analysis-old", data)
    assert learned.terms_check["scorer"] == "shipped" and "no longer fits" in learned.terms_check["reason"]
    assert [t["term"] for t in key_terms(*ZH_RECORDS[0][:2], learned.terms, learned.stats, limit=3)]


def test_keyword_frequencies_are_counted_and_left_out_for_the_record_itself():
    from matchmaking.analysis.terms import _restore, _without_record

    records = [(t, x) for t, x, _ in ZH_RECORDS]
    stats, found = corpus_stats(records, [k for _, _, k in ZH_RECORDS])
    assert stats.keyword_df["固态电解质"] == 5 and stats.keyword_df["湿法冶金"] == 5
    own = _without_record(stats, found[0], set(), {"固态电解质", "固态电池"})
    assert own.keyword_df["固态电解质"] == 4
    _restore(stats, found[0], set(), {"固态电解质", "固态电池"})
    assert stats.keyword_df["固态电解质"] == 5
    assert corpus_stats(records)[0].keyword_df == {}  # no keywords given, none counted


def test_adverb_tagged_morphemes_stay_inside_a_phrase():
    assert "快速测定" in candidates("", "采用电极法快速测定腐竹中的硼砂")


def test_the_shipped_scorer_finds_technical_terms_in_chinese_english_and_mixed_text():
    model, stats = default_terms()

    def top(title, text, n=5):
        return [t["term"] for t in key_terms(title, text, model, stats)][:n]

    zh = top("储能电池热失控预警", "需要一种储能电池热失控预警技术，在热失控发生前30分钟发出预警，误报率低于1%。")
    assert "热失控" in zh and "储能电池" in zh
    assert not [t for t in zh if len(t) < 2 or t in {"需要", "技术", "发生"}]
    en = top("Wastewater treatment", "We need membrane bioreactor technology for textile wastewater treatment.")
    assert en[0] == "Wastewater treatment"
    assert not {t.lower() for t in en} & {"we", "need", "for", "technology"}
    mixed = top("基于IGBT的功率模块封装", "需要SiC MOSFET功率模块的银烧结封装工艺，结温达到175℃。")
    assert "功率模块" in mixed and "IGBT" in mixed


def unit(v):
    v = np.asarray(v, dtype=np.float64)
    return v / np.linalg.norm(v)


def test_fields_are_suggested_from_labelled_records_with_confidences_summing_to_one():
    records = [
        ("energy", ["电池", "电解质"], {"m": unit([1, 0.1, 0])}),
        ("energy", ["电池", "储能"], {"m": unit([0.9, 0.2, 0])}),
        ("agri", ["水稻", "育种"], {"m": unit([0, 1, 0.1])}),
    ]
    names = {"m": np.array([unit([1, 0, 0]), unit([0, 1, 0]), unit([0, 0, 1])])}
    model = FieldModel.fit(["energy", "agri", "ai"], names, records)
    model = FieldModel.from_dict(json.loads(json.dumps(model.to_dict())))
    suggested = model.suggest(["电池"], {"m": unit([1, 0, 0])}, limit=3)
    assert suggested[0][0] == "energy" and suggested[0][1] > 0.5
    assert [code for code, _ in suggested] == ["energy", "agri", "ai"]  # "ai" by its name only
    # words only (a cold process): fields with labelled records, by their lexical profiles
    lexical = model.suggest(["水稻"], {}, limit=3)
    assert lexical[0][0] == "agri" and "ai" not in {code for code, _ in lexical}
    assert FieldModel([], [], {}, {}, [], {}).suggest(["x"], {}) == []


def test_sentences_are_split_and_grouped_into_points():
    text = "我们需要提高电池能量密度。电池的能量密度要达到300Wh/kg。另外，产线需要视觉检测。检测速度每分钟60件。"
    parts = points.sentences(text)
    assert len(parts) == 4
    # a marker (另外) starts a point, without vectors too
    assert points.group(parts) == [[0, 1], [2, 3]]
    # a shift in meaning starts one: neighbours far less alike than this text's usual pair
    plain = ["电池的容量要提高。", "电池的寿命要延长。", "视觉检测要更快。", "视觉检测要更准。", "视觉系统要便宜。"]
    vectors = np.array([[1, 0.1], [0.99, 0.12], [0.1, 1], [0.12, 0.99], [0.11, 1.0]])
    assert points.group(plain, vectors) == [[0, 1], [2, 3, 4]]
    assert points.group(plain[:1]) == [[0]] and points.group([]) == []
    english = points.sentences("We need a better kiln. It wastes heat. Also, the glaze cracks. Finally, dust is high.")
    assert points.group(english) == [[0, 1], [2], [3]]


def test_more_points_than_shown_are_merged_where_neighbours_are_alike():
    parts = [f"另外，第{i}个问题需要解决。" for i in range(9)]
    runs = points.group(parts)
    assert len(runs) == points.MAX_POINTS
    assert sorted(i for run in runs for i in run) == list(range(9))


def test_hints_name_what_a_need_lacks():
    codes = {
        h["code"]
        for h in hints.need_hints(description="需要先进的高端技术。", budget_given=False, deadline_given=False)
    }
    assert codes == {"too_short", "no_target", "no_budget", "no_timeline", "vague"}
    good = (
        "需要一种储能电池热失控预警技术，在热失控发生前30分钟发出预警，误报率低于1%，"
        "预算50万元，要求6个月内完成样机验证并在产线上试用。"
    )
    assert hints.need_hints(description=good, budget_given=False, deadline_given=False) == []
    english = hints.need_hints(
        description="Reduce the energy use of our kilns by 15% within 12 months." * 2,
        budget_given=True,
        deadline_given=False,
    )
    assert [h["code"] for h in english] == []


@pytest.mark.parametrize(
    "description",
    [
        "我们希望让产线的缺陷检测更准确更可靠，减少人工复检的工作量，预算100万元。",
        "我们希望让产线的缺陷检测更准确更可靠，减少人工复检的工作量，12个月内完成。",
        "We want our defect detection to be more accurate and more reliable. Budget 500,000 yuan.",
    ],
)
def test_a_budget_or_a_deadline_is_not_a_measurable_target(description):
    codes = {h["code"] for h in hints.need_hints(description=description, budget_given=True, deadline_given=True)}
    assert "no_target" in codes


def test_a_stored_points_verdict_follows_the_achievements_still_there(world):
    from matchmaking.analysis.analyse import localise

    from ..factories import make_achievement

    kept = make_achievement(world.inst_a, title="还在的成果")
    gone = make_achievement(world.inst_a, title="已撤下的成果", status="draft")  # taken back since
    point = {"text": "要点", "coverage": "strong", "best_score": 0.9, "uncovered_advice": False}
    stored = {
        "points": [
            {**point, "achievements": [{"id": gone.pk, "score": 0.9}]},
            {**point, "achievements": [{"id": gone.pk, "score": 0.9}, {"id": kept.pk, "score": 0.3}]},
            {**point, "coverage": "unknown", "best_score": None, "achievements": [{"id": gone.pk, "score": 0.0}]},
        ]
    }
    first, second, words_only = localise(stored, world.users["broker"])["points"]
    assert first["coverage"] == "none" and first["uncovered_advice"] and first["best_score"] is None
    assert second["coverage"] == "some" and second["best_score"] == 0.3
    assert words_only["coverage"] == "unknown"


def _keyword_records(count=200):
    from matchmaking.analysis.learned import LabelledRecord

    return [
        LabelledRecord(
            f"固态电池方案{i}", f"第{i}种固态电解质的制备方法，提高固态电池的离子电导率。", None, ["固态电解质"]
        )
        for i in range(count)
    ]


@pytest.mark.parametrize("better", ["platform", "shipped"])
def test_the_platforms_own_key_term_scorer_replaces_the_shipped_one_only_if_it_does_better(monkeypatch, better):
    from matchmaking.analysis import learned

    shipped = default_terms()[0]

    def key_terms_of(title, text, terms, stats, limit):
        good = (terms is shipped) == (better == "shipped")
        return [{"term": "固态电解质" if good else "制备方法", "score": 0.9}]

    monkeypatch.setattr(learned, "key_terms", key_terms_of)
    built = learned.build(_keyword_records(), codes=[], name_vectors={}, min_keyword_records=100)
    assert built.terms_check["scorer"] == better
    assert built.terms_check["held_out"] >= learned.MIN_HELD_OUT
    assert (built.terms is shipped) == (better == "shipped")
    assert built.terms_check[f"{better}_f1_at_5"] == 1.0


def test_keywords_absent_from_their_text_keep_the_shipped_scorer():
    from matchmaking.analysis import learned

    records = _keyword_records()
    for i, record in enumerate(records):
        record.keywords = [f"无关词{i}"]
    built = learned.build(records, codes=[], name_vectors={}, min_keyword_records=100)
    assert built.terms is default_terms()[0] and built.terms_check["scorer"] == "shipped"


@pytest.mark.parametrize("labels", ["true", "shuffled"])
def test_the_field_confidence_temperature_is_fitted_on_the_labelled_records(labels):
    from matchmaking.analysis import fields

    rng = np.random.default_rng(5)
    codes = [f"f{i}" for i in range(5)]
    axes = np.eye(16)[:5]

    def sample(count):
        records = []
        for n in range(count):
            i = n % 5
            vector = axes[i] + rng.normal(scale=0.6, size=16)
            label = codes[i] if labels == "true" else codes[int(rng.integers(5))]
            records.append((label, [], {"m": vector / np.linalg.norm(vector)}))
        return records

    model = FieldModel.fit(codes, {}, sample(200))
    assert FieldModel.from_dict(json.loads(json.dumps(model.to_dict()))).temperature == model.temperature
    # new records: how often is the top field right, and how sure is it?
    right, sure = [], []
    for label, tokens, vectors in sample(200):
        top, confidence = model.suggest(tokens, vectors, limit=1)[0]
        right.append(top == label)
        sure.append(confidence)
    if labels == "true":
        assert model.temperature < fields.TEMPERATURES[-1]
        assert np.mean(sure) > 0.5
    else:  # nothing to learn: confidences near one in five, not the default's certainty
        assert model.temperature >= 0.05 and np.mean(sure) < 0.4
    assert abs(np.mean(sure) - np.mean(right)) < 0.25


def test_a_records_own_words_do_not_make_the_fitted_confidence_overconfident():
    # the field shows in the vectors only (moderately); the words are noise, unique to each record
    rng = np.random.default_rng(0)
    codes, dim = [f"f{i}" for i in range(40)], 64
    vocabulary = [f"w{i}" for i in range(20000)]
    centres = [v / np.linalg.norm(v) for v in rng.normal(size=(40, dim))]

    def record(i):
        noise = rng.normal(size=dim)
        vector = centres[i] + 3.5 * noise / np.linalg.norm(noise)
        return codes[i], list(rng.choice(vocabulary, 80)), {"m": vector / np.linalg.norm(vector)}

    model = FieldModel.fit(codes, {}, [record(i % 40) for i in range(200)])
    right, sure = [], []
    for k in range(400):
        label, tokens, vectors = record(k % 40)
        top, confidence = model.suggest(tokens, vectors, limit=1)[0]
        right.append(top == label)
        sure.append(confidence)
    assert abs(np.mean(sure) - np.mean(right)) < 0.06


def test_text_of_characters_jieba_does_not_know_is_tagged_without_its_slow_hmm(monkeypatch):
    import random

    from jieba import posseg

    calls = []
    real = posseg.lcut
    monkeypatch.setattr(posseg, "lcut", lambda text, HMM=True: calls.append(HMM) or real(text, HMM=HMM))
    candidates("", "对水电站厂房进行模态分析，得到厂房结构的自振频率。")
    rng = random.Random(0)
    candidates("", "".join(chr(rng.randint(0x4E00, 0x9FA5)) for _ in range(2000)))  # an attacker's draft
    assert calls[0] is True and calls[-1] is False


def test_a_stored_analysis_does_not_name_an_expert_deleted_since(world):
    from matchmaking.analysis.analyse import localise

    from ..factories import ExpertFactory

    kept, gone = ExpertFactory(institution=world.inst_a), ExpertFactory(institution=world.inst_a)
    gone_id = gone.pk
    gone.delete()
    stored = {
        "preview": {"achievements": [], "experts": [{"id": kept.pk, "name": "留"}, {"id": gone_id, "name": "已删"}]},
        "points": [{"text": "要点", "coverage": "unknown", "achievements": [], "experts": [{"id": gone_id}]}],
    }
    shown = localise(stored, world.users["broker"])
    assert [e["id"] for e in shown["preview"]["experts"]] == [kept.pk]
    assert shown["points"][0]["experts"] == []


def test_markup_pasted_into_a_draft_is_not_analysed_as_terms(world):
    from matchmaking.analysis.analyse import analyse

    result = analyse(
        title="<b>固态电池</b>电解质",
        description=(
            "<p>我公司需要&nbsp;<span style='color:red'>固态电池电解质</span>技术，提高储能电池安全性。</p>"
            "<div>能量密度提升30%。</div>"
        ),
        user=world.users["ent_a"],
        encoders=[],
    )
    terms = " ".join(t["term"] for t in result["terms"])
    for markup in ("span", "style", "nbsp", "div", "color", "<", "&"):
        assert markup not in terms
    assert "固态电池" in terms


def test_the_technical_points_read_a_fixed_number_of_queries(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from matchmaking.analysis.analyse import _points

    sentences = [
        "1、提高固态电池电解质的离子电导率。",
        "2、降低储能系统的热失控风险。",
        "3、实现电池回收的自动拆解。",
    ]

    def queries(text):
        with CaptureQueriesContext(connection) as context:
            points = _points(text, [], [], "zh-hans", world.users["ent_a"])
        return len(points), len(context.captured_queries)

    one, three = queries(sentences[0]), queries("".join(sentences))
    assert one[0] == 1 and three[0] == 3
    assert one[1] == three[1]


def test_a_budget_sentence_does_not_take_a_technical_sentence_out_of_the_points(world):
    from matchmaking.analysis.analyse import _points

    text = "需要提高固态电池电解质的离子电导率。预算100万元，6个月内完成。"
    points = _points(text, [{"term": "固态电池"}], [], "zh-hans", world.users["ent_a"])
    assert [p["text"] for p in points] == ["需要提高固态电池电解质的离子电导率。"]


def test_a_rebuild_running_elsewhere_is_waited_for_not_repeated(db, monkeypatch):
    from django.core.cache import cache

    from matchmaking.analysis import services
    from matchmaking.models import AnalysisModel

    stored = AnalysisModel.objects.create(version="analysis-other", data={}, records=0, keyword_records=0)
    monkeypatch.setattr(services, "build_from_platform", lambda: pytest.fail("built a second time"))
    cache.set(services.REBUILD_LOCK, 1)
    monkeypatch.setattr(services.time, "sleep", lambda seconds: cache.delete(services.REBUILD_LOCK))
    assert services.rebuild_learned() == stored


@pytest.mark.parametrize(
    "intro",
    ["我公司是一家专注固态电池的高新技术企业，成立于2010年。", "Our company is a battery maker founded in 2010."],
)
def test_the_enterprises_introduction_is_not_a_technical_point(world, intro):
    from matchmaking.analysis.analyse import _points

    need = (
        "需要提高固态电池电解质的离子电导率。"
        if intro.startswith("我")
        else "We need a solid electrolyte with higher conductivity."
    )
    language = "zh-hans" if intro.startswith("我") else "en"
    points = _points(f"{intro} {need}", [{"term": "固态电池"}], [], language, world.users["ent_a"])
    assert [p["text"].strip() for p in points] == [need]
