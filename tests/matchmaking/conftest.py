import pytest


@pytest.fixture
def live_matching(settings):
    """Saving records queues embedding and re-matching (tasks run in-process in tests)."""
    settings.MATCHING_ON_SAVE = True
    return settings
