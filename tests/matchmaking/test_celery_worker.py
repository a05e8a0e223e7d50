"""A real Celery worker process against the real Redis and PostgreSQL: saving records in the
web process makes vectors and matches appear through the worker."""

import pytest

from matchmaking.models import Embedding, Match

from ..conftest import redis_url
from ..factories import make_achievement, make_need
from ..processes import Processes, reset_pools, wait_for

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _broker_url() -> str:
    base = redis_url().rsplit("/", 1)[0]
    return f"{base}/14"  # a database of its own, so nothing else's queues are touched


@pytest.fixture
def worker(settings):
    from config.celery import app

    previous = {key: app.conf[key] for key in ("task_always_eager", "broker_url")}
    reset_pools(app)  # connections opened earlier point at the old broker
    app.conf.update(task_always_eager=False, broker_url=_broker_url())
    settings.MATCHING_ON_SAVE = True
    settings.EMBEDDING_MODEL = "hash:64"
    processes = Processes()
    try:
        yield processes.worker(_broker_url())
    finally:
        app.conf.update(**previous)
        reset_pools(app)  # the next user gets fresh connections for the restored settings
        processes.stop_all()


def test_worker_embeds_and_matches_saved_records(world, worker):
    achievement = make_achievement(world.inst_a, title="固态锂电池电解质", keywords=["固态电池"])
    need = make_need(world.ent_a, title="寻求固态电池技术", keywords=["固态电池"])

    appeared = wait_for(lambda: Match.objects.filter(need=need, achievement=achievement).exists(), 90)
    if not appeared:
        worker.terminate()
        pytest.fail("no match appeared; worker output:\n" + worker.communicate(timeout=20)[0][-4000:])
    assert Embedding.objects.filter(kind="achievement", object_id=achievement.pk, model_name="hash:64").exists()
    assert Embedding.objects.filter(kind="need", object_id=need.pk).exists()
    match = Match.objects.get(need=need, achievement=achievement)
    assert match.rank == 1 and 0 < match.score <= 1
