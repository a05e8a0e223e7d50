"""Each language's mean vector taken out of the multilingual model's vectors (matchmaking/centring.py):
the math, the stored version, and the worker that refits it and re-centres the index."""

import numpy as np
import pytest

from matchmaking import centring, indexing
from matchmaking.centring import Centres, Fit, fit_rows
from matchmaking.index import get_index
from matchmaking.models import LanguageCentres, RecordKind

from ..factories import adopt_test_centres, index_everything, make_achievement, make_need


def _unit(matrix):
    return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


def _two_languages(rng, n=200, dim=32):
    """Vectors sharing a strong per-language direction, as e5's do, plus a meaning part that a
    record and its translation share."""
    zh_dir, en_dir = rng.normal(size=dim), rng.normal(size=dim)
    meaning = rng.normal(size=(n, dim)) * 0.3
    zh = _unit(meaning + 2 * zh_dir / np.linalg.norm(zh_dir) + rng.normal(size=(n, dim)) * 0.05)
    en = _unit(meaning + 2 * en_dir / np.linalg.norm(en_dir) + rng.normal(size=(n, dim)) * 0.05)
    return zh.astype(np.float32), en.astype(np.float32)


def test_centring_makes_a_translation_nearer_than_any_other_record_of_its_own_language():
    rng = np.random.default_rng(0)
    zh, en = _two_languages(rng)
    raw_hits = sum(int(np.argmax(np.vstack([zh, en]) @ en[i]) == i) for i in range(50))
    assert raw_hits == 0  # raw: an English query finds English records, never its translation
    centres = fit_rows({"m": (np.vstack([zh, en]), ["zh-hans"] * len(zh) + ["en"] * len(en))})
    zh_c = centres.apply_rows("m", zh, ["zh-hans"] * len(zh))
    en_c = centres.apply_rows("m", en, ["en"] * len(en))
    hits = sum(int(np.argmax(zh_c @ en_c[i]) == i) for i in range(50))
    assert hits >= 45
    assert np.allclose(np.linalg.norm(zh_c, axis=1), 1.0, atol=1e-5)


def test_one_vector_and_many_are_centred_alike_and_other_models_are_left_alone():
    rng = np.random.default_rng(1)
    zh, en = _two_languages(rng, n=60)
    centres = fit_rows({"m": (np.vstack([zh, en]), ["zh-hans"] * 60 + ["en"] * 60)})
    one = centres.apply({"m": en[3], "english-only": en[3]}, "en")
    assert np.allclose(one["m"], centres.apply_rows("m", en[3:4], ["en"])[0], atol=1e-6)
    assert not np.allclose(one["m"], en[3], atol=1e-3)  # centred, unlike the model without centres
    assert np.array_equal(one["english-only"], en[3])
    # a language the corpus lacks is centred on the mean of every record
    assert np.allclose(centres.mean("m", "ja"), centres.pooled["m"])


def test_a_small_corpus_is_not_centred_and_a_rare_language_borrows_the_pooled_mean():
    rng = np.random.default_rng(2)
    zh, en = _two_languages(rng, n=100)
    few = fit_rows({"m": (zh[: centring.MIN_RECORDS - 1], ["zh-hans"] * (centring.MIN_RECORDS - 1))})
    assert few is centring.NONE
    assert np.array_equal(few.apply({"m": zh[0]}, "zh-hans")["m"], zh[0])
    centres = fit_rows({"m": (np.vstack([zh, en[:1]]), ["zh-hans"] * 100 + ["en"])})
    # one English record: its language's mean is mostly the pooled one, so it keeps its own direction
    assert float(centres.apply({"m": en[0]}, "en")["m"] @ en[0]) > 0.3
    shrunk = (en[0] + centring.PRIOR * centres.pooled["m"]) / (1 + centring.PRIOR)
    assert np.allclose(centres.mean("m", "en"), shrunk, atol=1e-5)


def test_running_sums_give_the_means_of_the_whole():
    rng = np.random.default_rng(3)
    zh, en = _two_languages(rng, n=80)
    matrix, languages = np.vstack([zh, en]), ["zh-hans"] * 80 + ["en"] * 80
    fit = Fit()
    for start in range(0, 160, 7):
        fit.add_rows("m", matrix[start : start + 7], languages[start : start + 7])
    whole = fit_rows({"m": (matrix, languages)})
    chunked = fit.centres("v")
    for language in ("zh-hans", "en"):
        assert np.allclose(chunked.mean("m", language), whole.mean("m", language), atol=1e-6)
    assert chunked.counts["m"] == {"zh-hans": 80, "en": 80}


def test_stored_centres_read_back_the_same_and_small_moves_are_not_adopted():
    rng = np.random.default_rng(4)
    zh, en = _two_languages(rng, n=100)
    centres = fit_rows({"m": (np.vstack([zh, en]), ["zh-hans"] * 100 + ["en"] * 100)}, "v1")
    again = Centres.from_data("v1", centres.as_data())
    assert np.allclose(again.mean("m", "en"), centres.mean("m", "en"))
    assert not again.moved_from(centres)
    more = fit_rows({"m": (np.vstack([zh, en, en[:5]]), ["zh-hans"] * 100 + ["en"] * 105)}, "v2")
    assert not more.moved_from(centres)  # five more records move no mean by DRIFT
    only_zh = fit_rows({"m": (zh, ["zh-hans"] * 100)}, "v3")
    assert only_zh.moved_from(centres)  # a language left


@pytest.fixture
def corpus(db, monkeypatch, settings):
    """Enough records for centring, in two languages (the test encoder reads both alike)."""
    monkeypatch.setattr(centring, "MIN_RECORDS", 6)
    for i in range(5):
        make_achievement(title=f"固态电池电解质{i}", abstract=f"复合固态电解质提高电池安全性，方案{i}。")
        make_achievement(
            title=f"Perovskite solar film {i}", abstract=f"Stable perovskite films for photovoltaics, variant {i}."
        )
    make_need(title="寻求固态电池技术", description="希望引进固态电池电解质技术。")
    index_everything()


def _assert_entries_centred_with(centres):
    from achievements.models import Achievement

    for pk in Achievement.objects.values_list("pk", flat=True):
        entry = get_index().entry(RecordKind.ACHIEVEMENT, pk)
        raw = indexing._vectors(RecordKind.ACHIEVEMENT, [pk])[pk]
        expected = centres.apply(raw, entry.language)
        for model, vector in entry.vectors.items():
            assert np.allclose(vector, expected[model], atol=1e-5), pk


def test_a_refit_stores_a_version_and_the_pass_re_writes_every_entry_with_it(corpus):
    assert centring.active() is centring.NONE
    assert indexing.refit_due()
    assert indexing.refit_centres() is True
    stored = LanguageCentres.objects.get(is_active=True)
    assert set(stored.data[next(iter(stored.data))]["languages"]) == {"zh-hans", "en"}
    assert stored.records == indexing.embedded_count() == 10  # the achievements; the need is a query
    assert not indexing.refit_due()
    assert indexing.pending_recentring() == stored.version
    indexing.recentre_all(stored.version)
    assert indexing.pending_recentring() is None
    centres = centring.active()
    assert centres.version == stored.version and centres.centred
    _assert_entries_centred_with(centres)
    # nothing moved: a second refit keeps the version and asks for no re-centring
    assert indexing.refit_centres() is False
    assert LanguageCentres.objects.get(is_active=True).version == stored.version


def test_a_pass_that_died_is_resumed_by_the_next_refit_and_a_superseded_one_stops(corpus, monkeypatch):
    from matchmaking import tasks

    queued = []
    monkeypatch.setattr(tasks, "enqueue", lambda task, **kw: queued.append((task.name, kw)))
    assert tasks.refit_language_centres() is True
    version = LanguageCentres.objects.get(is_active=True).version
    assert queued == [("matchmaking.recentre_index", {"version": version})]
    queued.clear()
    # the pass died before its first chunk: the daily run starts it again instead of re-fitting
    assert tasks.refit_language_centres() is True
    assert queued == [("matchmaking.recentre_index", {"version": version})]
    assert LanguageCentres.objects.count() == 1
    queued.clear()
    first = tasks.recentre_index(version=version)
    assert first.startswith("('achievement'")
    assert indexing.recentre_step("centres-gone") == "superseded"


def test_the_pass_ends_by_re_ranking_every_need_in_batches(corpus, monkeypatch):
    from matchmaking import tasks

    queued = []
    monkeypatch.setattr(tasks, "enqueue", lambda task, **kw: queued.append((task.name, kw)))
    monkeypatch.setattr(tasks, "REMATCH_BATCH", 1)
    assert indexing.refit_centres()
    version = LanguageCentres.objects.get(is_active=True).version
    step = (indexing.INDEXED_KINDS[0], 0)
    while isinstance(step, tuple):
        step = indexing.recentre_step(version, *step)
    assert step == "done"
    # the last step, run as the task, queues the re-ranking
    LanguageCentres.objects.filter(version=version).update(reindexed=False)
    assert tasks.recentre_index(version=version, kind=indexing.INDEXED_KINDS[-1], after=10**9) == "done"
    assert [name for name, _ in queued] == ["matchmaking.rematch_needs"] * len(needs_ids())
    _assert_entries_centred_with(centring.active())


def test_a_refit_already_running_elsewhere_is_not_run_twice(corpus):
    from django.core.cache import cache

    from matchmaking import tasks

    cache.add(tasks.REFIT_RUNNING, True)
    assert tasks.refit_language_centres() is False
    assert not LanguageCentres.objects.exists()


def needs_ids():
    from enterprises.models import TechnologyNeed

    return list(TechnologyNeed.objects.values_list("pk", flat=True))


def test_switched_off_nothing_is_fitted_or_centred(corpus, settings):
    settings.MATCHING_CENTRE_LANGUAGES = False
    assert not indexing.refit_due()
    assert indexing.refit_centres() is False
    assert centring.active() is centring.NONE
    assert not LanguageCentres.objects.exists()


def test_switching_off_re_writes_the_entries_raw_and_ranks_with_the_raw_fusion(corpus, settings):
    from matchmaking.fusion import DEFAULT_MODEL, RAW_MODEL
    from matchmaking.retrieval import fusion_model

    assert fusion_model() is RAW_MODEL  # nothing centred yet: raw cosines, the raw fusion
    assert indexing.refit_centres()
    indexing.recentre_all(indexing.pending_recentring())
    assert fusion_model() is DEFAULT_MODEL
    settings.MATCHING_CENTRE_LANGUAGES = False
    assert centring.active().centred  # until the entries are re-written, queries match them
    assert indexing.refit_centres() is True
    indexing.recentre_all(indexing.pending_recentring())
    assert not centring.active().centred
    _assert_entries_centred_with(centring.active())  # i.e. raw
    assert fusion_model() is RAW_MODEL


def test_queries_from_search_needs_and_drafts_are_centred_like_the_entries(corpus):
    from matchmaking.analysis.analyse import _query
    from matchmaking.indexing import need_queries, need_query, text_query

    assert indexing.refit_centres()
    indexing.recentre_all(indexing.pending_recentring())
    centres = centring.active()
    from enterprises.models import TechnologyNeed

    need = TechnologyNeed.objects.get()
    raw = indexing._vectors(RecordKind.NEED, [need.pk])[need.pk]
    expected = centres.apply(raw, "zh-hans")
    for query in (
        need_query(need),
        need_queries([need])[0],
        text_query("固态电池", raw),
        _query("", "固态电池", raw, "zh-hans"),
    ):
        assert query.language == "zh-hans"
        for model, vector in query.vectors.items():
            assert np.allclose(vector, expected[model], atol=1e-5)
            assert not np.allclose(vector, raw[model], atol=1e-3)


def test_a_model_whose_dimension_changed_is_left_out_of_the_fit_not_a_crash():
    fit = Fit()
    rng = np.random.default_rng(6)
    fit.add_rows("m", _unit(rng.normal(size=(60, 8))), ["zh-hans"] * 60)
    fit.add_rows("m", _unit(rng.normal(size=(5, 16))), ["zh-hans"] * 5)
    assert fit.centres("v").counts["m"] == {"zh-hans": 60}


def test_weights_learned_from_the_previous_engine_are_not_used(db):
    """Learned over raw cosines (before centring), they would mis-read every centred one."""
    from matchmaking.fusion import DEFAULT_MODEL, FusionModel
    from matchmaking.models import RankingModel
    from matchmaking.retrieval import fusion_model

    adopt_test_centres()
    old = DEFAULT_MODEL.as_dict()
    del old["engine"]
    RankingModel.objects.create(version="learned-1", weights=old, is_active=True)
    assert fusion_model() is DEFAULT_MODEL
    current = FusionModel(DEFAULT_MODEL.weights, 1.5, "learned-2").as_dict()
    RankingModel.objects.filter(is_active=True).update(is_active=False)
    RankingModel.objects.create(version="learned-2", weights=current, is_active=True)
    assert fusion_model().version == "learned-2"
