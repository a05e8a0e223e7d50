"""`evaluate_analysis` runs the production analysis over labelled files and writes the issue's keys."""

import json

import pytest
from django.core.management import CommandError, call_command

from matchmaking.management.commands.evaluate_analysis import f1_at

CORPUS = [
    {
        "_id": "a1",
        "title": "固态电池电解质",
        "text": "复合固态电解质提高固态电池安全性。",
        "label": "能源",
        "keywords": ["固态电池"],
    },
    {
        "_id": "a2",
        "title": "锂电池正极回收",
        "text": "湿法冶金回收锂电池正极材料。",
        "label": "能源",
        "keywords": ["正极材料"],
    },
    {
        "_id": "b1",
        "title": "水稻抗病育种",
        "text": "分子标记辅助培育抗稻瘟病水稻。",
        "label": "农业",
        "keywords": ["水稻"],
    },
    {
        "_id": "b2",
        "title": "小麦节水灌溉",
        "text": "小麦滴灌节水技术提高产量。",
        "label": "农业",
        "keywords": ["节水灌溉"],
    },
]
TEST = [
    {
        "_id": "t1",
        "title": "固态电池安全",
        "text": "固态电池电解质的安全性研究。",
        "label": "能源",
        "keywords": ["固态电池"],
    },
    {"_id": "t2", "title": "水稻育种", "text": "水稻抗稻瘟病育种。", "label": "农业", "keywords": ["水稻", "育种"]},
]


def write(path, rows):
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    return str(path)


@pytest.mark.django_db
def test_it_writes_the_figures_and_their_baselines(tmp_path):
    out = tmp_path / "figures.json"
    call_command(
        "evaluate_analysis",
        labelled=write(tmp_path / "corpus.jsonl", CORPUS),
        test=write(tmp_path / "test.jsonl", TEST),
        json=str(out),
        cache=str(tmp_path / "cache"),
    )
    figures = json.loads(out.read_text())
    assert figures["n"] == 2 and figures["labelled_records"] == 4
    assert figures["field_accuracy"] == 1.0 and figures["field_top3_accuracy"] == 1.0
    assert 0 < figures["keyphrase_f1_at_5"] <= 1 and 0 <= figures["baseline_keyphrase_f1_at_5"] <= 1
    assert figures["baseline_field_accuracy"] == 1.0
    assert figures["term_model"].startswith("shipped default")  # four records with keywords are too few to learn from


def test_f1_at_5_is_exact_match_over_the_top_five():
    assert f1_at(["固态电池", "电解质", "a", "b", "c", "d"], ["固态电池", "安全"]) == pytest.approx(2 * 0.2 * 0.5 / 0.7)
    assert f1_at(["Power Devices"], ["power devices"]) == 1.0
    assert f1_at([], ["x"]) == 0.0 and f1_at(["x"], []) == 0.0


@pytest.mark.django_db
def test_bad_files_get_a_clear_error(tmp_path):
    good = write(tmp_path / "test.jsonl", TEST)
    with pytest.raises(CommandError, match="No such file"):
        call_command("evaluate_analysis", labelled=str(tmp_path / "missing.jsonl"), test=good)
    (tmp_path / "broken.jsonl").write_text('{"_id": 1, "title": "x"\n', encoding="utf-8")
    with pytest.raises(CommandError, match="line 1: not JSON"):
        call_command("evaluate_analysis", labelled=str(tmp_path / "broken.jsonl"), test=good)
    no_label = write(tmp_path / "nolabel.jsonl", [{"_id": 1, "title": "x", "text": "y"}])
    with pytest.raises(CommandError, match="missing label"):
        call_command("evaluate_analysis", labelled=no_label, test=good)
    no_keywords = write(tmp_path / "nokw.jsonl", [{"_id": 1, "title": "x", "text": "y", "label": "a"}])
    with pytest.raises(CommandError, match="missing keywords"):
        call_command("evaluate_analysis", labelled=good, test=no_keywords)


@pytest.mark.django_db
def test_the_shipped_scorer_is_not_scored_on_the_records_it_was_fitted_on(tmp_path, monkeypatch):
    from matchmaking.analysis import learned
    from matchmaking.management.commands import evaluate_analysis

    fitted = frozenset({learned.record_digest(TEST[0]["title"], TEST[0]["text"])})
    monkeypatch.setattr(evaluate_analysis, "default_fitted_on", lambda: fitted)
    corpus = [{k: v for k, v in r.items() if k != "keywords"} for r in CORPUS]
    with pytest.raises(CommandError, match="not be held out"):
        call_command(
            "evaluate_analysis",
            labelled=write(tmp_path / "corpus.jsonl", corpus),
            test=write(tmp_path / "test.jsonl", TEST),
            cache=str(tmp_path / "cache"),
        )
