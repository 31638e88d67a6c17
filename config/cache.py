"""Django's Redis cache, with one client per connection pool instead of one per call.

Django's `RedisCacheClient.get_client` builds a new `redis.Redis` around the pool on every
cache call; with redis-py 8 that construction costs about as much as the round trip to
Redis itself, and a cached catalog answer or a throttle check pays it on every request
(profiled in bench/RESULTS.md's run: 0.19 ms of 0.46 ms per `cache.get`). A `redis.Redis`
is safe to share between threads: it takes a connection from the pool per command.

`count_hit` is the throttles' counter: one atomic step, one round trip with Redis.

`fail_open` is how every shortcut that leans on Redis (throttles, the catalog cache, the
full-session note, the kick that queues a job) survives it failing (DESIGN.md invariant
9): the request goes on without it, and the process leaves Redis alone for a few seconds,
so the next requests do not each wait for a timeout. It warns once a minute per process
for each thing that went without, not once per request.
"""

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis import RedisError

logger = logging.getLogger(__name__)

T = TypeVar("T")

# After Redis failed, this process does without it for this long before asking again.
PAUSE_SECONDS = 5.0
WARN_EVERY_SECONDS = 60.0


class _Outage:
    """This process's view of whether Redis is failing, shared by its threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.paused_until = 0.0
        self.warned_at: dict[str, float] = {}

    def paused(self) -> bool:
        return time.monotonic() < self.paused_until

    def failed(self, what: str, error: Exception) -> None:
        now = time.monotonic()
        with self.lock:
            self.paused_until = now + PAUSE_SECONDS
            last = self.warned_at.get(what)
            if last is not None and now - last < WARN_EVERY_SECONDS:
                return
            self.warned_at[what] = now
        logger.warning(
            "redis: %s goes on without Redis for now (%s: %s); this is said once a minute",
            what,
            type(error).__name__,
            error,
        )

    def reset(self) -> None:
        with self.lock:
            self.paused_until = 0.0
            self.warned_at.clear()


outage = _Outage()


def fail_open(what: str, call: Callable[[], T], fallback: T) -> T:
    """`call()`, or `fallback` when Redis fails or failed a moment ago (see the module)."""
    if outage.paused():
        return fallback
    try:
        return call()
    except (RedisError, OSError) as error:
        outage.failed(what, error)
        return fallback


class _SharedClient(RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        # Django's own internals, which django-stubs does not describe.
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
        client = self._clients.get(id(pool))
        if client is None:
            fresh = self._client(connection_pool=pool)  # type: ignore[attr-defined]
            client = self._clients.setdefault(id(pool), fresh)
        return client


class SharedClientRedisCache(RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = _SharedClient

    def count_hit(self, key: str, seconds: int) -> tuple[int, float]:
        name = self.make_and_validate_key(key)
        client = self._cache.get_client(name, write=True)
        with client.pipeline() as step:  # MULTI ... EXEC: atomic, and one round trip
            step.set(name, 0, ex=seconds, nx=True)
            step.incr(name)
            step.pttl(name)
            _, count, left_ms = step.execute()
        if left_ms < 0:  # a key left without an expiry must not throttle forever
            client.expire(name, seconds)
            left_ms = seconds * 1000
        return int(count), int(left_ms) / 1000


def shared_cache() -> SharedClientRedisCache | None:
    """The default cache if it is Redis, which every process shares; None for a cache of
    one process's own (development's in-memory one)."""
    backend = caches["default"]
    return backend if isinstance(backend, SharedClientRedisCache) else None


def hits(key: str) -> int:
    """How many hits `count_hit` has counted at `key` in its window (0 once it closed)."""
    kept = caches["default"].get(key)
    if isinstance(kept, tuple):  # the in-process cache's (ends_at, count)
        ends_at, count = kept
        return int(count) if ends_at > time.time() else 0
    return int(kept or 0)


def count_hit(key: str, seconds: int) -> tuple[int, float]:
    """Adds one to the counter at `key`, which lasts `seconds` from its first hit; returns
    the count and the seconds the counter has left.

    With Redis every hit is counted, however many arrive at once. Another cache (the
    in-process one of development) counts per process, and may miss a hit between its
    read and its write.
    """
    shared = shared_cache()
    if shared is not None:
        return shared.count_hit(key, seconds)
    backend = caches["default"]
    now = time.time()
    ends_at, count = backend.get(key) or (now + seconds, 0)
    if ends_at <= now:
        ends_at, count = now + seconds, 0
    backend.set(key, (ends_at, count + 1), ends_at - now)
    return count + 1, ends_at - now
