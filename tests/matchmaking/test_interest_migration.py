"""Migration 0009 turns per-user interest into per-organisation interest without losing what
was said: run on a database holding two colleagues' interest in one need (PostgreSQL in CI)."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("matchmaking", "0008_verbose_names")]
AFTER = [("matchmaking", "0010_interest_rules")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture(autouse=True)
def _fresh_content_types():
    """Migrating back and forth, then the flush after a transactional test, leave the content-type
    cache naming rows that are gone: later tests must not read it."""
    from django.contrib.contenttypes.models import ContentType

    yield
    ContentType.objects.clear_cache()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_colleagues_interest_is_merged_into_one_with_every_message(world):
    old = _migrate(BEFORE)
    Interest = old.get_model("matchmaking", "Interest")
    from ..factories import UserFactory, make_need

    need_id = make_need(world.ent_a, title="热管理需求").pk  # other apps' tables are as they are today
    colleague = UserFactory(
        username="inst_a2", role="institution", institution=world.inst_a, first_name="", last_name=""
    )
    first = Interest.objects.create(
        author_id=world.users["inst_a"].pk, on_kind="need", need_id=need_id, message="我们有方案"
    )
    Interest.objects.filter(pk=first.pk).update(followed_up_at="2026-01-01T00:00:00Z")
    Interest.objects.create(author_id=colleague.pk, on_kind="need", need_id=need_id, message="还有样品")
    Interest.objects.create(author_id=world.users["inst_b"].pk, on_kind="need", need_id=need_id)
    new = _migrate(AFTER)
    rows = list(new.get_model("matchmaking", "Interest").objects.order_by("pk").values())
    assert [(r["institution_id"], r["enterprise_id"]) for r in rows] == [
        (world.inst_a.pk, None),
        (world.inst_b.pk, None),
    ]
    assert rows[0]["message"] == "我们有方案\n\ninst_a2: 还有样品"
    assert rows[0]["followed_up_at"] is None  # the colleague's part is new to the broker
