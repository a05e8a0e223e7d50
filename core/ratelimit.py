"""A fixed-window counter in the cache, for actions that are not sign-ins but must not run
unbounded (a password-reset e-mail on request). Best-effort while the cache is down, as the
API throttles are (core/cache.py)."""

import hashlib

from django.core.cache import cache


def hit(scope: str, value: str, *, limit: int, window: int) -> bool:
    """Count one more `scope` event for `value`; True while the count in the current window of
    `window` seconds is at most `limit`."""
    digest = hashlib.sha256(f"{scope}\0{value}".encode()).hexdigest()[:32]
    key = f"ratelimit:{scope}:{digest}"
    cache.add(key, 0, timeout=window)
    try:
        count = cache.incr(key)
    except ValueError:  # the window ended between add and incr
        cache.set(key, 1, timeout=window)
        count = 1
    return count <= limit
