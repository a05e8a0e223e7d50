"""A real Celery worker process against the real Redis and PostgreSQL: saving records in the
web process makes vectors and matches appear through the worker."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from matchmaking.models import Embedding, Match

from ..conftest import redis_url
from ..factories import make_achievement, make_need

ROOT = Path(__file__).resolve().parents[2]
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

    db = connection.settings_dict
    database_url = (
        f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "true",
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": _broker_url(),
        "CELERY_RESULT_BACKEND": "",
        "EMBEDDING_MODEL": "hash:64",
        "REDIS_URL": "",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-Q",
            "celery,embeddings",
            "--pool",
            "solo",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-l",
            "info",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    previous = {key: app.conf[key] for key in ("task_always_eager", "broker_url")}
    _reset_pools(app)  # connections opened earlier point at the old broker
    app.conf.update(task_always_eager=False, broker_url=_broker_url())
    settings.MATCHING_ON_SAVE = True
    settings.EMBEDDING_MODEL = "hash:64"
    try:
        yield process
    finally:
        app.conf.update(**previous)
        _reset_pools(app)  # the next user gets fresh connections for the restored settings
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def _reset_pools(app):
    from kombu import pools

    if app._pool is not None:
        app._pool.force_close_all()
    app._pool = None
    app.amqp._producer_pool = None
    pools.reset()


def _wait_for(condition, seconds=90):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.5)
    return False


def test_worker_embeds_and_matches_saved_records(world, worker):
    achievement = make_achievement(world.inst_a, title="固态锂电池电解质", keywords=["固态电池"])
    need = make_need(world.ent_a, title="寻求固态电池技术", keywords=["固态电池"])

    appeared = _wait_for(lambda: Match.objects.filter(need=need, achievement=achievement).exists())
    if not appeared:
        worker.terminate()
        pytest.fail("no match appeared; worker output:\n" + worker.communicate(timeout=20)[0][-4000:])
    assert Embedding.objects.filter(kind="achievement", object_id=achievement.pk, model_name="hash:64").exists()
    assert Embedding.objects.filter(kind="need", object_id=need.pk).exists()
    match = Match.objects.get(need=need, achievement=achievement)
    assert match.rank == 1 and 0 < match.score <= 1
