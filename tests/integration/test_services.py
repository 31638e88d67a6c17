"""The suite's view of the real services: PostgreSQL and Redis, as CI provides them."""

from http import HTTPStatus

import pytest
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.db import connection

from config.celery import app as celery_app
from tests.conftest import DEAD_BROKER

pytestmark = [pytest.mark.django_db, pytest.mark.postgres, pytest.mark.redis]


def test_readyz_talks_to_postgresql_and_redis(client, broker_at):
    assert connection.vendor == "postgresql"
    with celery_app.connection_for_write() as broker:
        assert broker.transport_cls == "redis"

    assert client.get("/readyz").status_code == HTTPStatus.OK

    # The same check fails when Redis is out of reach, so the 200 above came from Redis.
    broker_at(DEAD_BROKER)
    response = client.get("/readyz")
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response.json()["checks"]["broker"] == "unavailable"


def test_the_cache_is_redis():
    cache = caches["default"]
    cache.set("regard-probe", "ok", 5)

    assert isinstance(cache, RedisCache)
    assert cache.get("regard-probe") == "ok"
