from datetime import timedelta
from http import HTTPStatus

import pytest
from django.utils import timezone

from tests.factories import FacilitatorFactory, OfferingFactory, SessionFactory, TopicFactory
from workshops.models import Offering, Session

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

    # count, page, topics, facilitators
    with django_assert_num_queries(4):
        response = api.get("/api/v1/offerings/?page_size=100")

    assert response.json()["count"] == size


@pytest.mark.parametrize("size", [5, 50])
def test_sessions_list_query_count_does_not_grow_with_the_catalog(
    api, django_assert_num_queries, size
):
    _catalog(size)

    # count, page (offerings joined)
    with django_assert_num_queries(2):
        response = api.get("/api/v1/sessions/?page_size=100")

    assert response.json()["count"] == 2 * size
