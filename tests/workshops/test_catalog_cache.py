from collections.abc import Callable
from datetime import timedelta
from http import HTTPStatus
from typing import Any

import pytest
import redis
from django.core.cache import cache, caches
from django.utils import timezone

from tests.factories import EnrollmentFactory, OfferingFactory, SessionFactory
from workshops import cache as catalog_cache
from workshops.models import Offering

pytestmark = pytest.mark.django_db(transaction=True)  # invalidation happens on commit

CACHE_METHODS = ("get", "get_many", "set", "set_many", "add", "delete", "has_key", "incr", "touch")


@pytest.fixture
def cache_calls(monkeypatch) -> list[str]:
    """Every call made to the cache from outside it (with Redis, a round trip each)."""
    backend = caches["default"]
    calls: list[str] = []
    depth = [0]  # a backend's own get_many may call its get; that is still one call

    def counted(name: str, method: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            if not depth[0]:
                calls.append(name)
            depth[0] += 1
            try:
                return method(*args, **kwargs)
            finally:
                depth[0] -= 1

        return call

    for name in CACHE_METHODS:
        monkeypatch.setattr(backend, name, counted(name, getattr(backend, name)))
    return calls


def test_a_repeated_catalog_read_is_served_without_the_database(api, django_assert_num_queries):
    OfferingFactory.create_batch(3)
    first = api.get("/api/v1/offerings/")

    with django_assert_num_queries(0):
        again = api.get("/api/v1/offerings/")

    assert again.json() == first.json()


def test_a_cached_answer_costs_one_call_to_the_cache(api, cache_calls):
    OfferingFactory.create_batch(2)
    first = api.get("/api/v1/offerings/")
    cache_calls.clear()

    again = api.get("/api/v1/offerings/")

    assert cache_calls == ["get_many"]  # the version and the answer in one MGET
    assert again.json() == first.json()


def test_an_answer_from_before_a_change_is_never_served(api):
    offering = OfferingFactory.create(title="Before")
    api.get("/api/v1/offerings/")
    # Rows changed without a signal, so only a new version (or a lost one) can tell.
    Offering.objects.filter(pk=offering.pk).update(title="After")

    cache.set(catalog_cache.VERSION_KEY, "moved-on-elsewhere", None)
    assert api.get("/api/v1/offerings/").json()["results"][0]["title"] == "After"

    Offering.objects.filter(pk=offering.pk).update(title="After again")
    cache.delete(catalog_cache.VERSION_KEY)  # evicted
    assert api.get("/api/v1/offerings/").json()["results"][0]["title"] == "After again"


def test_an_answer_read_before_a_change_and_stored_after_it_is_not_served():
    path = "/api/v1/offerings/"
    data, version = catalog_cache.cached_answer(path)
    assert data is None

    catalog_cache.catalog_changed()  # commits while the slow reader is still at work
    catalog_cache.cache_answer(path, {"stale": True}, version)

    assert catalog_cache.cached_answer(path)[0] is None


def test_an_answer_read_again_within_a_second_costs_no_call_to_the_cache(
    api, cache_calls, monkeypatch
):
    monkeypatch.setattr(catalog_cache, "_clock", lambda: 1000.0)  # all within that second
    OfferingFactory.create_batch(2)
    first = api.get("/api/v1/offerings/")
    api.get("/api/v1/offerings/")
    cache_calls.clear()

    again = api.get("/api/v1/offerings/")

    assert cache_calls == []
    assert again.content == first.content


def test_a_change_made_in_another_process_is_seen_within_a_second(api, settings, monkeypatch):
    offering = OfferingFactory.create(title="Before")
    now = [1000.0]
    monkeypatch.setattr(catalog_cache, "_clock", lambda: now[0])
    api.get("/api/v1/offerings/")
    api.get("/api/v1/offerings/")
    # Another process changed the rows and moved the version on; this one was not told.
    Offering.objects.filter(pk=offering.pk).update(title="After")
    cache.set(catalog_cache.VERSION_KEY, "moved-on-elsewhere", None)

    now[0] += settings.CATALOG_LOCAL_SECONDS - 0.01
    assert api.get("/api/v1/offerings/").json()["results"][0]["title"] == "Before"
    now[0] += 0.01
    assert api.get("/api/v1/offerings/").json()["results"][0]["title"] == "After"


def test_an_answer_read_before_this_process_changed_the_catalog_is_not_kept(monkeypatch):
    path = "/api/v1/offerings/"
    _, version = catalog_cache.cached_answer(path)
    catalog_cache.cache_answer(path, {"before": True}, version)
    read = catalog_cache._kept

    def read_while_another_thread_commits(key: str) -> tuple[Any | None, str]:
        found = read(key)
        catalog_cache.forget_local_answers()  # that thread's change, committed meanwhile
        return found

    monkeypatch.setattr(catalog_cache, "_kept", read_while_another_thread_commits)
    catalog_cache.cached_answer(path)

    assert path not in catalog_cache._local


def test_a_change_committed_while_redis_fails_still_succeeds(monkeypatch):
    offering = OfferingFactory.create(title="Before")

    def fail(*args: object, **kwargs: object) -> None:
        raise redis.ConnectionError("Redis went away")

    monkeypatch.setattr(caches["default"], "set", fail)
    offering.title = "After"
    offering.save()  # commits; moving the version on fails, and is logged

    assert Offering.objects.get(pk=offering.pk).title == "After"


def test_a_process_keeps_a_bounded_number_of_answers(monkeypatch):
    monkeypatch.setattr(catalog_cache, "LOCAL_ANSWERS", 3)
    for n in range(10):
        path = f"/api/v1/offerings/?page={n}"
        _, version = catalog_cache.cached_answer(path)
        catalog_cache.cache_answer(path, {"page": n}, version)

        assert catalog_cache.cached_answer(path)[0] == {"page": n}
        assert len(catalog_cache._local) <= 3


@pytest.mark.redis  # notes are kept only in Redis
def test_a_full_session_is_noted_for_its_version_and_until_its_time():
    now = timezone.now()
    full = catalog_cache.FullSession(waitlist_enabled=False)
    _, version = catalog_cache.known_full(7, now=now)
    catalog_cache.note_full(7, full, version=version, until=now + timedelta(minutes=5), now=now)

    assert catalog_cache.known_full(7, now=now) == (full, version)
    assert catalog_cache.known_full(8, now=now)[0] is None
    assert catalog_cache.known_full(7, now=now + timedelta(minutes=5))[0] is None

    catalog_cache.catalog_changed()  # a change committed after the seats were read
    assert catalog_cache.known_full(7, now=now)[0] is None


def test_a_changed_offering_is_seen_at_once(api):
    offering = OfferingFactory.create(title="Before")
    api.get("/api/v1/offerings/")
    api.get("/api/v1/offerings/")  # from the cache, and now kept by this process too

    offering.title = "After"
    offering.save()

    assert api.get("/api/v1/offerings/").json()["results"][0]["title"] == "After"


def test_a_new_booking_changes_the_seats_shown_at_once(api):
    session = SessionFactory.create(capacity=5)
    assert api.get(f"/api/v1/sessions/{session.id}/").json()["seats_left"] == 5

    EnrollmentFactory.create(session=session, seats=2)

    assert api.get(f"/api/v1/sessions/{session.id}/").json()["seats_left"] == 3


def test_conditional_get_answers_304_for_an_unchanged_catalog(api):
    OfferingFactory.create()
    first = api.get("/api/v1/offerings/")
    etag = first["ETag"]

    again = api.get("/api/v1/offerings/", HTTP_IF_NONE_MATCH=etag)

    assert again.status_code == HTTPStatus.NOT_MODIFIED
    assert again.content == b""
    OfferingFactory.create()
    assert api.get("/api/v1/offerings/", HTTP_IF_NONE_MATCH=etag).status_code == HTTPStatus.OK


def test_the_cache_can_be_turned_off(api, settings, django_assert_num_queries):
    settings.CATALOG_CACHE_SECONDS = 0
    OfferingFactory.create()
    api.get("/api/v1/offerings/")

    with django_assert_num_queries(1):  # read afresh: the prepared statement
        api.get("/api/v1/offerings/")


def test_a_cached_answer_is_sent_as_first_sent(api):
    OfferingFactory.create_batch(2)
    first = api.get("/api/v1/offerings/")

    again = api.get("/api/v1/offerings/")

    assert again.content == first.content
    assert again["ETag"] == first["ETag"]
    assert again["Content-Type"] == first["Content-Type"] == "application/json"
    assert again["Vary"] == first["Vary"]
