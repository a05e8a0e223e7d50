"""A URL name means one page: a web page that shares its name with an API route is reversed to the
API (the header's search link once opened the DRF API that way)."""

from collections import Counter

from django.urls import URLResolver, get_resolver, reverse


def _names(patterns, namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _names(pattern.url_patterns, inner)
        elif pattern.name:
            yield namespace + pattern.name


# our hardened views deliberately take these names before django.contrib.auth.urls, which follows
OVERRIDDEN = {"password_change", "password_reset"}


def test_no_url_name_is_defined_twice():
    counts = Counter(_names(get_resolver().url_patterns))
    assert [name for name, count in counts.items() if count > 1 and name not in OVERRIDDEN] == []


def test_participant_event_pages_are_web_pages():
    for name in ("web-event-list", "web-event-register", "web-event-agenda"):
        args = [] if name == "web-event-list" else [1]
        assert not reverse(name, args=args).startswith("/api/")
