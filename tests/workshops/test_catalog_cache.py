from http import HTTPStatus

import pytest

from tests.factories import EnrollmentFactory, OfferingFactory, SessionFactory

pytestmark = pytest.mark.django_db(transaction=True)  # invalidation happens on commit


def test_a_repeated_catalog_read_is_served_without_the_database(api, django_assert_num_queries):
    OfferingFactory.create_batch(3)
    first = api.get("/api/v1/offerings/")

    with django_assert_num_queries(0):
        again = api.get("/api/v1/offerings/")

    assert again.json() == first.json()


def test_a_changed_offering_is_seen_at_once(api):
    offering = OfferingFactory.create(title="Before")
    api.get("/api/v1/offerings/")

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

    with django_assert_num_queries(4):
        api.get("/api/v1/offerings/")
