"""A Redis cache that degrades instead of failing: while Redis is down, reads miss and writes
are dropped (with a warning), so the API keeps serving. Throttling and job progress are
best-effort during an outage; nothing the platform must keep lives only in the cache."""

import functools
import logging

from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger(__name__)


def _redis_errors() -> tuple:
    from redis.exceptions import ConnectionError, TimeoutError

    return (ConnectionError, TimeoutError, OSError)


def _degrade(default=None):
    def wrap(method):
        @functools.wraps(method)
        def inner(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except _redis_errors() as error:
                logger.warning("cache unavailable (%s): %s", method.__name__, error)
                if callable(default):
                    return default(*args, **kwargs)
                return default

        return inner

    return wrap


def _get_default(key, default=None, *args, **kwargs):
    return default


def _incr_missing(key, delta=1, *args, **kwargs):
    return delta


class ResilientRedisCache(RedisCache):
    get = _degrade(_get_default)(RedisCache.get)
    set = _degrade()(RedisCache.set)
    add = _degrade(False)(RedisCache.add)
    touch = _degrade(False)(RedisCache.touch)
    delete = _degrade(False)(RedisCache.delete)
    get_many = _degrade(lambda keys, *a, **k: {})(RedisCache.get_many)
    set_many = _degrade(lambda data, *a, **k: list(data))(RedisCache.set_many)
    delete_many = _degrade()(RedisCache.delete_many)
    has_key = _degrade(False)(RedisCache.has_key)
    incr = _degrade(_incr_missing)(RedisCache.incr)
    clear = _degrade(False)(RedisCache.clear)
