"""The real services: PostgreSQL (CI runs the whole suite on it) and Redis (cache, Celery broker)."""

import pytest
from django.db import IntegrityError, connection, transaction

from .conftest import redis_url
from .factories import make_achievement


@pytest.mark.postgres
def test_suite_runs_on_postgresql(db):
    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("select version()")
        assert "PostgreSQL" in cursor.fetchone()[0]


@pytest.mark.postgres
def test_database_refuses_duplicate_title_even_without_service_checks(world):
    achievement = make_achievement(world.inst_a, title="唯一标题")
    twin = type(achievement).objects.get(pk=achievement.pk)
    twin.pk = None
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()


@pytest.mark.redis
def test_redis_is_reachable_and_works():
    import redis

    client = redis.Redis.from_url(redis_url(), socket_connect_timeout=2)
    assert client.ping()
    key = "techbridge:test:ping"
    client.set(key, "pong", ex=10)
    assert client.get(key) == b"pong"
    client.delete(key)


@pytest.mark.redis
def test_celery_can_reach_redis_as_broker():
    from config.celery import app

    with app.connection_for_write(redis_url()) as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
        assert conn.connected


def test_celery_runs_tasks_in_process_without_a_broker(settings):
    from config.celery import app

    @app.task(name="tests.add")
    def add(a, b):
        return a + b

    assert add.delay(2, 3).get(timeout=1) == 5
