import json
from datetime import timedelta
from http import HTTPStatus

import pytest
import time_machine
from django.utils import timezone
from rest_framework.renderers import JSONRenderer

from enrollments.models import Enrollment
from enrollments.selectors import sessions_with_seats
from tests.factories import (
    EnrollmentFactory,
    FacilitatorFactory,
    OfferingFactory,
    SessionFactory,
    TopicFactory,
)
from workshops.models import Offering, Session
from workshops.selectors import public_sessions
from workshops.serializers import SessionOutput

pytestmark = pytest.mark.django_db

SESSION_FIELDS = {
    "id",
    "offering",
    "title",
    "starts_at",
    "ends_at",
    "timezone",
    "format",
    "location",
    "capacity",
    "seats_left",
    "price",
    "currency",
    "status",
    "enrollment_open",
    "waitlist_open",
}


def slugs(response) -> list[str]:
    return [item["slug"] for item in response.json()["results"]]


def test_offerings_list_shows_only_published_offerings(api):
    OfferingFactory.create(slug="shown")
    OfferingFactory.create(slug="draft", is_published=False)

    response = api.get("/api/v1/offerings/")

    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert body["count"] == 1
    assert set(body) == {"count", "next", "previous", "results"}
    assert slugs(response) == ["shown"]


def test_offering_shows_money_as_decimal_string_with_currency(api):
    topic = TopicFactory.create(name="Resilience", slug="resilience")
    facilitator = FacilitatorFactory.create(name="Dr. Miriam Hale")
    OfferingFactory.create(
        slug="upr", price_cents=18050, ce_hours="3.0", topics=[topic], facilitators=[facilitator]
    )

    item = api.get("/api/v1/offerings/").json()["results"][0]

    assert item["price"] == "180.50"
    assert item["currency"] == "EUR"
    assert item["ce_hours"] == "3.0"
    assert item["topics"] == [{"slug": "resilience", "name": "Resilience"}]
    assert item["facilitators"][0]["name"] == "Dr. Miriam Hale"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("kind=team_training", ["team"]),
        ("format=in_person", ["in-person"]),
        ("topic=gratitude", ["in-person"]),
        ("search=facade", ["in-person"]),
        ("search=FACADE expert", ["in-person"]),
        ("upcoming=true", ["team"]),
        ("upcoming=false", ["online", "in-person"]),
    ],
)
def test_offerings_filters(api, query, expected):
    gratitude = TopicFactory.create(name="Gratitude", slug="gratitude")
    OfferingFactory.create(slug="online", title="A Online", format=Offering.Format.ONLINE)
    OfferingFactory.create(
        slug="in-person",
        title="B Beyond the expert facade",
        format=Offering.Format.IN_PERSON,
        topics=[gratitude],
    )
    team = OfferingFactory.create(slug="team", title="C Team", kind=Offering.Kind.TEAM_TRAINING)
    SessionFactory.create(offering=team)

    response = api.get(f"/api/v1/offerings/?{query}")

    assert response.status_code == HTTPStatus.OK
    assert slugs(response) == expected


def test_upcoming_ignores_past_cancelled_and_private_sessions(api):
    offering = OfferingFactory.create(slug="quiet")
    SessionFactory.create(
        offering=offering,
        starts_at=timezone.now() - timedelta(days=2),
        ends_at=timezone.now() - timedelta(days=2, hours=-3),
    )
    SessionFactory.create(offering=offering, status=Session.Status.CANCELLED)
    SessionFactory.create(offering=offering, is_public=False, organization="St. Anna Clinic")

    assert slugs(api.get("/api/v1/offerings/?upcoming=true")) == []


def test_offering_detail_lists_its_upcoming_public_sessions(api):
    offering = OfferingFactory.create(slug="upr", description="Long description")
    later = SessionFactory.create(offering=offering, starts_at=timezone.now() + timedelta(days=30))
    sooner = SessionFactory.create(offering=offering, starts_at=timezone.now() + timedelta(days=3))
    SessionFactory.create(offering=offering, is_public=False, organization="St. Anna Clinic")
    SessionFactory.create(offering=offering, status=Session.Status.CANCELLED)

    response = api.get("/api/v1/offerings/upr/")

    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert body["description"] == "Long description"
    assert [s["id"] for s in body["sessions"]] == [sooner.id, later.id]
    assert set(body["sessions"][0]) == SESSION_FIELDS
    assert body["next_session_starts_at"] is not None


def test_unpublished_offering_is_not_found(api):
    OfferingFactory.create(slug="draft", is_published=False)

    response = api.get("/api/v1/offerings/draft/")

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json()["code"] == "not_found"


def test_sessions_list_shows_upcoming_public_sessions_in_order(api):
    offering = OfferingFactory.create(slug="upr")
    second = SessionFactory.create(offering=offering, starts_at=timezone.now() + timedelta(days=9))
    first = SessionFactory.create(offering=offering, starts_at=timezone.now() + timedelta(days=2))
    SessionFactory.create(offering=offering, is_public=False, organization="St. Anna Clinic")
    SessionFactory.create(offering=OfferingFactory.create(is_published=False))
    SessionFactory.create(offering=offering, status=Session.Status.CANCELLED)

    response = api.get("/api/v1/sessions/")

    assert [s["id"] for s in response.json()["results"]] == [first.id, second.id]


def test_sessions_filters_by_offering_and_time_window(api):
    upr = OfferingFactory.create(slug="upr")
    rapport = OfferingFactory.create(slug="rapport")
    in_a_week = SessionFactory.create(offering=upr, starts_at=timezone.now() + timedelta(days=7))
    SessionFactory.create(offering=upr, starts_at=timezone.now() + timedelta(days=40))
    SessionFactory.create(offering=rapport, starts_at=timezone.now() + timedelta(days=7))
    after = (timezone.now() + timedelta(days=5)).date().isoformat()
    before = (timezone.now() + timedelta(days=10)).isoformat().replace("+00:00", "Z")

    response = api.get(
        "/api/v1/sessions/", {"offering": "upr", "starts_after": after, "starts_before": before}
    )

    assert response.status_code == HTTPStatus.OK
    assert [s["id"] for s in response.json()["results"]] == [in_a_week.id]


def test_session_detail_has_the_contract_fields_and_never_the_meeting_link(api):
    session = SessionFactory.create(
        capacity=12,
        price_override_cents=9000,
        meeting_link="https://meet.example.org/secret-room",
        title="Spring cohort",
    )

    response = api.get(f"/api/v1/sessions/{session.id}/")

    body = response.json()
    assert set(body) == SESSION_FIELDS
    assert body["title"] == "Spring cohort"
    assert body["offering"] == session.offering.slug
    assert body["price"] == "90.00"
    assert body["seats_left"] == 12
    assert body["enrollment_open"] is True
    assert body["waitlist_open"] is False
    assert body["starts_at"].endswith("Z")
    assert "secret-room" not in response.content.decode()
    for url in ("/api/v1/sessions/", f"/api/v1/offerings/{session.offering.slug}/"):
        assert "secret-room" not in api.get(url).content.decode()


def test_session_past_its_enrollment_deadline_is_closed(api):
    starts_at = timezone.now() + timedelta(days=1)
    session = SessionFactory.create(
        starts_at=starts_at, enrollment_closes_at=timezone.now() - timedelta(minutes=1)
    )

    body = api.get(f"/api/v1/sessions/{session.id}/").json()

    assert body["enrollment_open"] is False
    assert body["waitlist_open"] is False


def test_private_session_is_not_found(api):
    session = SessionFactory.create(is_public=False, organization="St. Anna Clinic")

    response = api.get(f"/api/v1/sessions/{session.id}/")

    assert response.status_code == HTTPStatus.NOT_FOUND


def _catalog(size: int) -> None:
    topics = TopicFactory.create_batch(3)
    facilitators = FacilitatorFactory.create_batch(2)
    for _ in range(size):
        offering = OfferingFactory.create(topics=topics, facilitators=facilitators)
        SessionFactory.create_batch(2, offering=offering)


@pytest.mark.parametrize("size", [5, 50])
def test_offerings_list_query_count_does_not_grow_with_the_catalog(
    api, django_assert_num_queries, size
):
    _catalog(size)

    # one prepared statement: the offerings with their topics and facilitators
    with django_assert_num_queries(1):
        response = api.get("/api/v1/offerings/?page_size=100")

    assert response.json()["count"] == size
    assert all(len(item["topics"]) == 3 for item in response.json()["results"])


@pytest.mark.parametrize("size", [5, 50])
def test_a_filtered_offerings_list_query_count_does_not_grow_with_the_catalog(
    api, django_assert_num_queries, size
):
    _catalog(size)

    # count, page, topics, facilitators
    with django_assert_num_queries(4):
        response = api.get("/api/v1/offerings/?page_size=100&kind=workshop")

    assert response.json()["count"] == size


def _varied_catalog() -> list[Session]:
    """Offerings and sessions in every state the catalog's answers show."""
    now = timezone.now()
    topics = [TopicFactory.create(name=name) for name in ("Zorg", "Ärger", "Burn-out", "empathy")]
    people = [FacilitatorFactory.create(name=name) for name in ("Łucja Nowak", "Ann Berg")]
    rich = OfferingFactory.create(
        title="Álvaro's Ω workshop", title_nl="Werkplaats", topics=topics, facilitators=people
    )
    OfferingFactory.create(title="Nothing planned", topics=[], facilitators=[])
    OfferingFactory.create(title="Unseen", is_published=False)
    full = SessionFactory.create(offering=rich, capacity=2, waitlist_enabled=True)
    EnrollmentFactory.create(session=full, seats=2)
    held = SessionFactory.create(offering=rich, capacity=5, price_override_cents=1250)
    EnrollmentFactory.create(session=held, status=Enrollment.Status.PENDING_PAYMENT)
    EnrollmentFactory.create(
        session=held,
        status=Enrollment.Status.PENDING_PAYMENT,
        hold_expires_at=now - timedelta(minutes=1),  # lapsed: the seat is free again
    )
    closed = SessionFactory.create(
        offering=rich, title="Evening group", enrollment_closes_at=now + timedelta(minutes=5)
    )
    closed.enrollment_closes_at = now - timedelta(minutes=1)
    Session.objects.filter(pk=closed.pk).update(enrollment_closes_at=closed.enrollment_closes_at)
    return [full, held, closed]


def test_the_unfiltered_list_answers_as_the_filtered_one_does(api, settings):
    settings.CATALOG_CACHE_SECONDS = 0
    _varied_catalog()

    prepared = api.get("/api/v1/offerings/").json()
    by_orm = api.get("/api/v1/offerings/?search=").json()  # an empty filter: the ORM's read

    assert prepared == by_orm
    assert prepared["count"] == 2
    rich = next(item for item in prepared["results"] if item["topics"])
    assert [topic["name"] for topic in rich["topics"]] == ["Burn-out", "Zorg", "empathy", "Ärger"]
    assert [person["name"] for person in rich["facilitators"]] == ["Ann Berg", "Łucja Nowak"]


def test_pages_of_the_unfiltered_list_are_those_of_the_filtered_one(api, settings):
    settings.CATALOG_CACHE_SECONDS = 0
    OfferingFactory.create_batch(5)

    for page in (1, 2, 3):
        prepared = api.get(f"/api/v1/offerings/?page_size=2&page={page}").json()
        by_orm = api.get(f"/api/v1/offerings/?page_size=2&page={page}&search=").json()
        assert prepared["results"] == by_orm["results"]
        assert prepared["count"] == by_orm["count"] == 5
        assert (prepared["next"] is None) == (by_orm["next"] is None) == (page == 3)
    beyond = api.get("/api/v1/offerings/?page=4&page_size=2")
    assert beyond.status_code == HTTPStatus.NOT_FOUND


def test_a_catalog_beyond_what_is_read_whole_is_read_page_by_page(
    api, monkeypatch, django_assert_num_queries
):
    monkeypatch.setattr("workshops.apis.LISTED_AT_MOST", 3)
    OfferingFactory.create_batch(5)

    with django_assert_num_queries(5):  # the prepared read, then count, page and prefetches
        response = api.get("/api/v1/offerings/")

    assert response.json()["count"] == 5


def test_a_session_answers_as_the_orm_reads_it(api, settings, django_assert_num_queries):
    settings.CATALOG_CACHE_SECONDS = 0
    sessions = _varied_catalog()

    for session in sessions:
        with django_assert_num_queries(1):
            body = api.get(f"/api/v1/sessions/{session.pk}/").json()
        read = sessions_with_seats(public_sessions()).get(pk=session.pk)
        assert body == json.loads(JSONRenderer().render(SessionOutput(read).data))
    full, held, closed = (api.get(f"/api/v1/sessions/{s.pk}/").json() for s in sessions)
    assert (full["seats_left"], full["enrollment_open"], full["waitlist_open"]) == (0, False, True)
    assert (held["seats_left"], held["price"]) == (4, "12.50")
    assert (closed["title"], closed["enrollment_open"]) == ("Evening group", False)


def test_a_hold_that_lapses_frees_its_seat_in_the_next_answer(api, settings):
    settings.CATALOG_CACHE_SECONDS = 0  # each answer read afresh, with the time it is read at
    session = SessionFactory.create(capacity=3)
    EnrollmentFactory.create(session=session, status=Enrollment.Status.PENDING_PAYMENT)
    assert api.get(f"/api/v1/sessions/{session.pk}/").json()["seats_left"] == 2

    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        assert api.get(f"/api/v1/sessions/{session.pk}/").json()["seats_left"] == 3


def test_a_session_id_beyond_any_row_is_not_found(api):
    response = api.get("/api/v1/sessions/99999999999999999999/")

    assert response.status_code == HTTPStatus.NOT_FOUND


@pytest.mark.parametrize("size", [5, 50])
def test_sessions_list_query_count_does_not_grow_with_the_catalog(
    api, django_assert_num_queries, size
):
    _catalog(size)

    # count, page (offerings joined)
    with django_assert_num_queries(2):
        response = api.get("/api/v1/sessions/?page_size=100")

    assert response.json()["count"] == 2 * size
