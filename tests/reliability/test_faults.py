"""Faults with real components: a Redis outage while the API takes writes, a worker killed with
SIGKILL in the middle of a batch, and a poison task. Each test runs its own redis-server, worker
and relay processes (see conftest.py)."""

import pytest
from django.db.models import Count

from core.models import OutboxMessage, TaskFailure
from matchmaking.models import Embedding, Match

from ..factories import index_everything, make_achievement, make_need
from ..processes import wait_for

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _output(process) -> str:
    process.terminate()
    return process.communicate(timeout=20)[0][-3000:]


@pytest.fixture(autouse=True)
def shared_index(settings, tmp_path):
    """A fresh matching index shared with the worker processes this test starts (the local backend
    is shared through its directory), so that what this test indexes is what they rank."""
    from matchmaking.index import reset_index

    from .. import processes as started

    started.MATCHING_INDEX_DIR = settings.MATCHING_INDEX_DIR = str(tmp_path / "index")
    reset_index()
    yield
    reset_index()


def test_redis_outage_keeps_the_api_up_and_loses_no_work(api, as_user, world, own_redis, publisher, processes):
    achievement = make_achievement(world.inst_a, title="固态锂电池电解质", keywords=["固态电池"])
    assert OutboxMessage.objects.count() == 0  # sent at once while Redis is up
    index_everything()  # no worker ran yet: index it here, as a worker would have

    own_redis.stop()
    as_user("ent_a")
    assert api.get("/api/v1/needs/").status_code == 200  # reads keep working (cache degrades)
    created = api.post(
        "/api/v1/needs/",
        {
            "title": "寻求固态电池技术",
            "description": "储能柜需要更安全的电池。",
            "field": "new-energy",
            "keywords": ["固态电池"],
            "status": "published",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    need_id = created.json()["id"]
    backlog = list(OutboxMessage.objects.values_list("task", flat=True))
    assert backlog and all(task == "matchmaking.embed_records" for task in backlog)  # kept, not lost

    own_redis.start()  # Redis returns: the relay and a worker drain the backlog by themselves
    relay = processes.relay(own_redis.url)
    worker = processes.worker(own_redis.url)
    drained = wait_for(lambda: Match.objects.filter(need_id=need_id, achievement=achievement).exists(), 90)
    if not drained:
        pytest.fail("backlog not processed\nrelay:\n" + _output(relay) + "\nworker:\n" + _output(worker))
    assert OutboxMessage.objects.count() == 0
    assert Embedding.objects.filter(kind="need", object_id=need_id).count() == 1


def test_a_worker_killed_mid_batch_loses_nothing_and_does_nothing_twice(world, own_redis, publisher, processes):
    needs = [make_need(world.ent_a, title=f"寻求固态电池技术{n}", keywords=["固态电池"]) for n in range(4)]
    achievements = [make_achievement(world.inst_a, title=f"固态电池成果{n}", keywords=["固态电池"]) for n in range(24)]
    worker = processes.worker(own_redis.url)
    started = wait_for(lambda: Embedding.objects.filter(kind="achievement").exists(), 60, step=0.05)
    assert started, _output(worker)
    processes.kill9(worker)  # in the middle: some records are embedded, the rest wait or were in flight
    done_before = Embedding.objects.count()
    assert done_before < len(needs) + len(achievements)

    processes.worker(own_redis.url)  # a new worker picks up the rest, including the task that was cut off
    everything = len(needs) + len(achievements)
    assert wait_for(lambda: Embedding.objects.count() == everything, 120)
    assert wait_for(lambda: Match.objects.filter(need__in=needs).count() == 4 * 20, 120)
    duplicates = Embedding.objects.values("kind", "object_id", "model_name").annotate(n=Count("id")).filter(n__gt=1)
    assert not duplicates.exists()
    pairs = Match.objects.values("need_id", "achievement_id").annotate(n=Count("id")).filter(n__gt=1)
    assert not pairs.exists()
    ranks = Match.objects.filter(need=needs[0]).values_list("rank", flat=True)
    assert sorted(ranks) == list(range(1, 21))  # one consistent ranking, not two interleaved


def test_a_poison_task_fails_visibly_once_instead_of_looping(world, own_redis, publisher, processes):
    worker = processes.worker(own_redis.url)
    publisher.send_task("matchmaking.embed_records", kwargs={"kind": "no-such-kind", "ids": [1]})
    assert wait_for(lambda: TaskFailure.objects.exists(), 60), _output(worker)
    failure = TaskFailure.objects.get()
    assert failure.task == "matchmaking.embed_records" and failure.kwargs["kind"] == "no-such-kind"
    assert not wait_for(lambda: TaskFailure.objects.count() > 1, 6)  # not retried in a loop
