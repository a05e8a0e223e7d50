import pytest

from matchmaking import ranking


@pytest.fixture(autouse=True)
def _fresh_ranker_cache():
    ranking._cache.clear()
    yield
    ranking._cache.clear()


@pytest.fixture
def live_matching(settings):
    """Saving records queues embedding and re-matching (tasks run in-process in tests)."""
    settings.MATCHING_ON_SAVE = True
    return settings
