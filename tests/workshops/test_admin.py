import re
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from zoneinfo import ZoneInfo

import pytest
from django.forms.models import model_to_dict

from tests.factories import EnrollmentFactory, OfferingFactory, SessionFactory
from workshops.models import Offering

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "/admin/workshops/offering/",
        "/admin/workshops/offering/add/",
        "/admin/workshops/session/",
        "/admin/workshops/session/?status__exact=scheduled",
        "/admin/workshops/topic/",
        "/admin/workshops/facilitator/",
    ],
)
def test_admin_pages_open(admin_client, url):
    SessionFactory.create()

    assert admin_client.get(url).status_code == HTTPStatus.OK


def test_admin_session_list_shows_seats_taken_and_left(admin_client):
    SessionFactory.create(capacity=17)

    page = admin_client.get("/admin/workshops/session/").content.decode()

    assert "column-seats_taken" in page
    assert '<td class="field-seats_taken">0</td>' in page
    assert '<td class="field-seats_left">17</td>' in page


def test_the_offering_page_lists_its_dates_each_in_its_own_zone(admin_client):
    session = SessionFactory.create(
        timezone="America/New_York",
        starts_at=datetime(2031, 6, 2, 13, 0, tzinfo=UTC),
        ends_at=datetime(2031, 6, 2, 16, 0, tzinfo=UTC),
    )

    page = admin_client.get(f"/admin/workshops/offering/{session.offering.pk}/change/")

    text = page.content.decode()
    assert "Monday 2 June 2031, 09:00–12:00 (America/New_York)" in text
    # Dates are added on a session's own page, where times are read in its zone.
    assert 'name="sessions-0-starts_at_0"' not in text
    assert "sessions-empty" not in text


@pytest.mark.parametrize(("action", "published"), [("publish", True), ("unpublish", False)])
def test_admin_publish_actions(
    admin_client, api, django_capture_on_commit_callbacks, action, published
):
    offerings = OfferingFactory.create_batch(2, is_published=not published)
    api.get("/api/v1/offerings/")  # the list as it was is now cached

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            "/admin/workshops/offering/",
            {"action": action, "_selected_action": [o.pk for o in offerings]},
        )

    assert Offering.objects.filter(is_published=published).count() == 2
    # The action writes with update(), which sends no signal: it moves the catalog on itself.
    assert api.get("/api/v1/offerings/").json()["count"] == (2 if published else 0)


def test_a_sessions_times_are_edited_in_its_own_time_zone(admin_client):
    session = SessionFactory.create(
        timezone="America/New_York",
        starts_at=datetime(2031, 6, 2, 13, 0, tzinfo=UTC),  # 09:00 in New York (EDT)
        ends_at=datetime(2031, 6, 2, 16, 0, tzinfo=UTC),
    )
    url = f"/admin/workshops/session/{session.pk}/change/"

    page = admin_client.get(url).content.decode()
    assert 'name="starts_at_0" value="2031-06-02"' in page
    assert re.search(r"name=\"starts_at_1\"[^>]*value=\"09:00:00\"", page), re.findall(
        r"<input[^>]*starts_at_1[^>]*>", page
    )

    form = {k: v for k, v in model_to_dict(session).items() if v is not None}
    form |= {
        "starts_at_0": "2031-06-02",
        "starts_at_1": "10:30",  # moved by an hour and a half, New York time
        "ends_at_0": "2031-06-02",
        "ends_at_1": "12:00",
        "timezone": "Europe/Amsterdam",  # and to Amsterdam: the zone posted is the one read
    }
    form.pop("starts_at")
    form.pop("ends_at")
    response = admin_client.post(url, form)

    assert response.status_code == HTTPStatus.FOUND, response.content.decode()[:2000]
    session.refresh_from_db()
    assert session.starts_at == datetime(2031, 6, 2, 8, 30, tzinfo=UTC)  # 10:30 CEST
    assert session.ends_at == datetime(2031, 6, 2, 10, 0, tzinfo=UTC)


def test_a_time_zone_that_does_not_exist_is_a_field_error_not_a_failure(admin_client):
    session = SessionFactory.create(timezone="Europe/Amsterdam")
    form = {k: v for k, v in model_to_dict(session).items() if v is not None}
    local = session.starts_at.astimezone(ZoneInfo("Europe/Amsterdam"))
    form |= {
        "starts_at_0": f"{local:%Y-%m-%d}",
        "starts_at_1": f"{local:%H:%M}",
        "ends_at_0": f"{local + timedelta(hours=3):%Y-%m-%d}",
        "ends_at_1": f"{local + timedelta(hours=3):%H:%M}",
        "timezone": "Mars/Olympus_Mons",
    }
    form.pop("starts_at")
    form.pop("ends_at")

    response = admin_client.post(f"/admin/workshops/session/{session.pk}/change/", form)

    assert response.status_code == HTTPStatus.OK  # the form again, with its error
    assert "is not an IANA time zone" in response.content.decode()


def test_the_admin_shows_times_where_the_practice_is_not_in_utc(admin_client, settings):
    settings.PRACTICE_TIME_ZONE = "Europe/Amsterdam"
    session = SessionFactory.create(
        timezone="America/New_York",
        starts_at=datetime(2031, 1, 10, 14, 0, tzinfo=UTC),  # 09:00 in New York, 15:00 here
        ends_at=datetime(2031, 1, 10, 17, 0, tzinfo=UTC),
    )
    booking = EnrollmentFactory.create(
        session=session, consent_at=datetime(2031, 1, 2, 12, 0, tzinfo=UTC)
    )

    sessions = admin_client.get("/admin/workshops/session/").content.decode()
    page = admin_client.get(f"/admin/enrollments/enrollment/{booking.pk}/change/").content.decode()

    # A session in its own zone, named; any other time in the practice's (13:00, not 12:00).
    assert "Friday 10 January 2031, 09:00–12:00 (America/New_York)" in sessions
    assert "Jan. 2, 2031, 1 p.m." in page
