import os
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.db import connection
from rest_framework.test import APIClient

from accounts.models import Role

from .factories import AgencyFactory, EnterpriseFactory, InstitutionFactory, UserFactory

IN_CI = os.environ.get("CI", "").lower() == "true"


def pytest_collection_modifyitems(config, items):
    """Service-backed tests skip locally when the service is absent; in CI they must run."""
    if IN_CI:
        return
    redis_up = _redis_reachable()
    for item in items:
        if "redis" in item.keywords and not redis_up:
            item.add_marker(pytest.mark.skip(reason="Redis is not reachable (set REDIS_URL)"))
        if "postgres" in item.keywords and "postgres" not in os.environ.get("DATABASE_URL", ""):
            item.add_marker(pytest.mark.skip(reason="PostgreSQL is not configured (set DATABASE_URL)"))


def _redis_reachable() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(redis_url(), socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


def redis_url() -> str:
    return os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"


@pytest.fixture(autouse=True)
def _reference_data_after_flushes(request):
    """Tests that commit for real run on a database the previous such test flushed; put the
    reference data (normally loaded by a migration) back before they start."""
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(marker and marker.kwargs.get("transaction")) or "live_server" in request.fixturenames
    if transactional:
        from core.reference_data import ensure_reference_data

        request.getfixturevalue("transactional_db")
        ensure_reference_data()


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()  # throttling counters live in the cache
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _fresh_matching_index():
    """Each test starts with an empty matching index (the in-memory reference backend unless a
    test chooses another)."""
    from matchmaking.index import reset_index

    reset_index()
    yield
    reset_index()


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def world(db):
    """Two institutions, two enterprises and a user of every role."""
    inst_a, inst_b = InstitutionFactory(name="甲大学"), InstitutionFactory(name="乙研究院")
    ent_a, ent_b = EnterpriseFactory(name="甲科技有限公司"), EnterpriseFactory(name="乙制造有限公司")
    agency = AgencyFactory()
    users = {
        "inst_a": UserFactory(username="inst_a", role=Role.INSTITUTION, institution=inst_a),
        "inst_b": UserFactory(username="inst_b", role=Role.INSTITUTION, institution=inst_b),
        "ent_a": UserFactory(username="ent_a", role=Role.ENTERPRISE, enterprise=ent_a),
        "ent_b": UserFactory(username="ent_b", role=Role.ENTERPRISE, enterprise=ent_b),
        "broker": UserFactory(username="broker", role=Role.BROKER, agency=agency),
        "organiser": UserFactory(username="organiser", role=Role.ORGANISER),
        "admin": UserFactory(username="admin", role=Role.ADMIN),
    }
    return SimpleNamespace(inst_a=inst_a, inst_b=inst_b, ent_a=ent_a, ent_b=ent_b, agency=agency, users=users)


@pytest.fixture
def as_user(api, world):
    def login(name):
        api.force_authenticate(world.users[name] if name else None)
        return api

    return login


@pytest.fixture
def db_vendor(db):
    return connection.vendor
