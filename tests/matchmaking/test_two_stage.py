"""Two-stage ranking: candidates from the stored index, one fusion, explanations a broker can trust."""

import numpy as np
import pytest

from core.outbox import enqueue, wait_for_inprocess_tasks
from matchmaking import services
from matchmaking.fusion import DEFAULT_MODEL, fuse
from matchmaking.index import IndexEntry, Query, get_index
from matchmaking.index.exact import ExactMatchingIndex
from matchmaking.models import Match
from matchmaking.retrieval import rank, score_pairs
from matchmaking.text import informative_terms, tokenize, weighted_document

from ..factories import index_everything, make_achievement, make_need


def test_informative_terms_drop_stop_words_letters_digits_and_fragments():
    terms = [
        "3",
        "d",
        "面向",
        "完成",
        "可",
        "#固态",
        "功率半导体",
        "半导体",
        "功率",
        "semiconductor",
        "of",
        "x",
        "碳化硅",
        "42nm",
    ]
    assert informative_terms(terms) == ["功率半导体", "semiconductor", "碳化硅"]


def test_informative_terms_keep_at_most_eight_in_the_given_order():
    terms = [f"术语{chr(0x4E00 + i)}{chr(0x4E80 + i)}" for i in range(12)]
    assert informative_terms(terms) == terms[:8]


def _entry(i, text, vector, **extra):
    return IndexEntry("achievement", i, weighted_document(text), {"m": np.asarray(vector, dtype=np.float32)}, **extra)


def _unit(rng, dim=16):
    v = rng.standard_normal(dim).astype(np.float32)
    return v / np.linalg.norm(v)


def test_a_pair_scores_the_same_whatever_else_is_in_the_candidate_set():
    rng = np.random.default_rng(1)
    index = ExactMatchingIndex()
    texts = ["固态电池电解质制备", "水稻抗病育种", "工业视觉缺陷检测", "固态电池回收利用", "锂电池隔膜涂层"]
    index.upsert([_entry(i, t, _unit(rng)) for i, t in enumerate(texts)])
    query = Query(tokenize("固态电池电解质"), {"m": _unit(rng)})
    ranked = {
        p.candidate.id: p.score
        for p in rank("achievement", query, top_k=5, index=index, models={}, model=DEFAULT_MODEL)
    }
    alone = {p.candidate.id: p.score for p in score_pairs("achievement", query, [0], index=index, model=DEFAULT_MODEL)}
    assert alone[0] == ranked[0]
    before = score_pairs("achievement", query, [0], index=index, model=DEFAULT_MODEL)[0]
    index.upsert([_entry(9, "固态电池电解质制备工艺与装备", _unit(rng))])  # a strong rival arrives
    after = score_pairs("achievement", query, [0], index=index, model=DEFAULT_MODEL)[0]
    # only the corpus statistics moved: the same cosine, BM25 re-weighted by one more document
    assert after.components["dense"] == before.components["dense"]
    assert after.score == pytest.approx(before.score, abs=0.05)


def test_scores_are_probabilities_and_not_divided_by_the_best():
    from matchmaking.fusion import derive

    # a strong pair: centred cosine 0.5 (strong: unrelated pairs sit near 0) and half the lexical ceiling
    x = derive(np.array([[0.5, 0, 0, 0.5, 0, 0, 0], [0.1, 0, 0, 0.0, 0, 0, 0]], dtype=float))
    p = fuse(x, DEFAULT_MODEL)
    assert 0 <= p[1] < p[0] <= 1
    assert p[0] < 0.999  # a strong pair is not stretched to the top of the scale


def test_candidates_exclude_and_audiences_filter_before_fusion():
    rng = np.random.default_rng(2)
    index = ExactMatchingIndex()
    index.upsert(
        [
            IndexEntry("need", 1, tokenize("固态电池"), {"m": _unit(rng)}, audience="public"),
            IndexEntry("need", 2, tokenize("固态电池"), {"m": _unit(rng)}, audience="brokers"),
            IndexEntry("need", 3, tokenize("固态电池"), {"m": _unit(rng)}, audience="public"),
        ]
    )
    query = Query(tokenize("固态电池"), {"m": _unit(rng)})
    found = index.candidates("need", query, dense_k=10, lexical_k=10, audiences=["public"], exclude=[3])
    assert [c.id for c in found] == [1]


def test_an_edited_achievement_reaches_only_the_needs_it_can_enter(world, monkeypatch, settings):
    settings.MATCH_TOP_K = 2
    for i in range(3):
        make_achievement(world.inst_a, title=f"废旧电池回收{i}", keywords=["回收"], abstract="废旧动力电池拆解回收")
    rice_need = make_need(world.ent_a, title="水稻抗病育种技术", keywords=["水稻"], description="寻求水稻抗病品种")
    battery_need = make_need(world.ent_b, title="固态电池电解质", keywords=["固态电池"])
    index_everything()
    services.rematch_needs([rice_need.pk, battery_need.pk])
    newcomer = make_achievement(
        world.inst_b, title="高离子电导率固态电池电解质", keywords=["固态电池", "电解质"], abstract="固态电池电解质"
    )
    index_everything()
    scored = []
    real = services.score_entry_for_queries

    def counting(kind, entry, queries, **kw):
        scored.extend(queries)
        return real(kind, entry, queries, **kw)

    monkeypatch.setattr(services, "score_entry_for_queries", counting)
    affected = services.needs_affected_by_achievements([newcomer.pk])
    assert battery_need.pk in affected
    services.rematch_needs(affected)
    assert Match.objects.filter(need=battery_need, achievement=newcomer, rank__isnull=False).exists()
    assert len(scored) <= 2  # only the needs found through the index were scored, one pair each


def test_an_entry_scored_against_queries_gets_the_score_rank_gives_it(world):
    from matchmaking.indexing import need_queries
    from matchmaking.retrieval import score_entry_for_queries

    for title in ("固态锂电池电解质", "锂电池隔膜涂层", "水稻抗病育种"):
        make_achievement(world.inst_a, title=title, abstract=title + "技术")
    needs = [make_need(world.ent_a, title="寻求固态电池电解质技术"), make_need(world.ent_b, title="水稻育种")]
    index_everything()
    index = get_index()
    queries = need_queries(needs)
    for query in queries:
        for pair in rank("achievement", query, top_k=3):
            entry = index.entry("achievement", pair.candidate.id)
            alone = score_entry_for_queries("achievement", entry, [query])[0]
            assert alone.score == pytest.approx(pair.score, abs=1e-6)
            assert alone.candidate.shared_terms == pair.candidate.shared_terms


def test_needs_for_an_unindexed_achievement_answer_being_prepared(as_user, world):
    achievement = make_achievement(world.inst_a, title="尚未索引的成果")
    response = as_user("inst_a").get(f"/api/v1/achievements/{achievement.pk}/needs/")
    assert response.status_code == 202
    assert response.json()["state"] == "preparing" and response["Retry-After"] == "30"
    index_everything()
    assert as_user("inst_a").get(f"/api/v1/achievements/{achievement.pk}/needs/").status_code == 200


def test_search_in_a_request_never_loads_a_model(as_user, world, settings, monkeypatch):
    from matchmaking import encoders, search

    make_achievement(world.inst_a, title="固态锂电池电解质")
    index_everything()
    settings.EMBEDDING_MODEL = "not-loaded/model-e5"
    monkeypatch.setattr(encoders, "_loaded", set())
    started = []
    monkeypatch.setattr(search, "warm_up_encoders", lambda: started.append(True))
    monkeypatch.setattr(encoders, "build_encoder", lambda name: pytest.fail("a request loaded a model"))
    body = as_user("ent_a").get("/api/v1/search/?q=固态电池").json()
    assert body["semantic"] is False and started == [True]
    assert body["results"][0]["achievement"]["title"] == "固态锂电池电解质"


def test_in_process_tasks_run_in_the_background_thread(settings, db, django_capture_on_commit_callbacks):
    import threading

    from celery import shared_task

    seen = []

    @shared_task(name="tests.record_thread")
    def record_thread():
        seen.append(threading.current_thread().name)

    settings.INPROCESS_TASK_THREAD = True
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        enqueue(record_thread)
    assert wait_for_inprocess_tasks(timeout=30)
    assert seen and seen[0].startswith("inprocess-tasks")


def test_the_configured_index_is_opened_once(settings):
    assert get_index() is get_index()


def _ranked_matches(need):
    return [
        (m.achievement_id, round(m.score, 3), tuple(m.explanation["shared_terms"]))
        for m in Match.objects.filter(need=need, rank__isnull=False).order_by("rank")
    ]


@pytest.mark.postgres
def test_both_backends_store_the_same_matches(world, settings, pgvector_server):
    """The production backend (pgvector) and the embedded one rank the same pairs the same way."""
    from matchmaking.index import reset_index

    texts = ["固态锂电池电解质", "锂电池隔膜涂层", "水稻抗病育种", "工业视觉缺陷检测", "固态电池回收", "储能热管理"]
    for i, title in enumerate(texts):
        make_achievement(world.inst_a if i % 2 else world.inst_b, title=title, keywords=[title[:4]], abstract=title)
    need = make_need(world.ent_a, title="寻求固态电池电解质技术", keywords=["固态电池"])
    settings.MATCH_TOP_K = 4
    index_everything()
    services.rematch_needs([need.pk])
    local = _ranked_matches(need)

    settings.MATCHING_INDEX = "postgres"
    settings.MATCHING_INDEX_URL = pgvector_server.create_database("both_backends")
    reset_index()
    Match.objects.all().delete()
    index_everything()
    services.rematch_needs([need.pk])
    assert _ranked_matches(need) == local and len(local) == 4


class _RecordingIndex(ExactMatchingIndex):
    def candidates(self, kind, query, **options):
        self.searched = set(query.vectors)
        return super().candidates(kind, query, **options)


@pytest.mark.parametrize(("language", "searched"), [("zh-hans", {"m"}), ("en", {"m", "en-only"})])
def test_the_english_specialist_is_searched_for_english_queries_only(language, searched):
    rng = np.random.default_rng(3)
    index = _RecordingIndex()
    entries = [_entry(i, t, _unit(rng), language="en") for i, t in enumerate(["solid battery", "rice breeding"])]
    for entry in entries:
        entry.vectors["en-only"] = _unit(rng)
    index.upsert(entries)
    query = Query(tokenize("solid battery"), {"m": _unit(rng), "en-only": _unit(rng)}, language)
    pairs = rank("achievement", query, top_k=2, index=index, models={"m": False, "en-only": True}, model=DEFAULT_MODEL)
    assert index.searched == searched
    # an English pair is still scored by the specialist, a Chinese query's pairs never are
    assert all(("dense_en" in p.components) == (language == "en") for p in pairs)


def test_a_pair_across_languages_is_flagged_and_its_flag_is_not_shown_as_a_score():
    from matchmaking.fusion import FEATURES, features_from_components
    from matchmaking.templatetags.matching_tags import score_components

    index = ExactMatchingIndex()
    rng = np.random.default_rng(5)
    index.upsert(
        [_entry(1, "固态电池", _unit(rng), language="zh-hans"), _entry(2, "solid battery", _unit(rng), language="en")]
    )
    query = Query(tokenize("solid battery"), {"m": _unit(rng)}, language="en")
    pairs = {p.candidate.id: p for p in score_pairs("achievement", query, [1, 2], index=index, model=DEFAULT_MODEL)}
    cross = FEATURES.index("cross_language")
    assert pairs[1].features[cross] == 1.0 and pairs[2].features[cross] == 0.0
    assert pairs[1].components["cross_language"] == 1.0 and "cross_language" not in pairs[2].components
    assert features_from_components(pairs[1].components)[cross] == 1.0
    assert [name for name, _ in score_components(pairs[1].components)] == ["dense", "lexical"]
