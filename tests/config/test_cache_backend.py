import pytest
from django.core.cache import cache

pytestmark = pytest.mark.redis


def test_one_redis_client_serves_every_cache_call():
    backend = getattr(cache, "_cache")  # noqa: B009 -- the Redis client behind the cache API

    assert backend.get_client() is backend.get_client()
    assert backend.get_client(write=True) is backend.get_client()


def test_the_shared_client_reads_and_writes():
    cache.set("shared-client-check", {"seats_left": 3}, 30)

    assert cache.get("shared-client-check") == {"seats_left": 3}
    assert cache.get_many(["shared-client-check", "missing"]) == {
        "shared-client-check": {"seats_left": 3}
    }
    cache.delete("shared-client-check")
    assert cache.get("shared-client-check") is None
