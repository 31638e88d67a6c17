"""Calendar feeds: the practice's and each facilitator's sessions, as a calendar subscribes."""

from datetime import timedelta
from http import HTTPStatus

import icalendar
import pytest
from django.utils import timezone

from config.roles import FACILITATOR
from enrollments.services.cancellation import session_cancel
from enrollments.services.reminders import session_notify_change
from integrations.calendar_feeds import calendar_feed_create
from integrations.models import CalendarFeed
from tests.factories import (
    EnrollmentFactory,
    FacilitatorFactory,
    OfferingFactory,
    ParticipantFactory,
    SessionFactory,
)

pytestmark = pytest.mark.django_db


def events(client, feed):
    response = client.get(f"/calendar/{feed.token}.ics")
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = icalendar.Calendar.from_ical(response.content)
    return {str(event["uid"]): event for event in calendar.walk("VEVENT")}


@pytest.fixture
def sessions():
    ada = FacilitatorFactory.create(name="Ada")
    sam = FacilitatorFactory.create(name="Sam")
    soon = timezone.now() + timedelta(days=5)
    ada_s = SessionFactory.create(
        offering=OfferingFactory.create(title="Holding space", facilitators=[ada]),
        starts_at=soon,
        capacity=12,
    )
    sam_s = SessionFactory.create(
        offering=OfferingFactory.create(title="Team resilience", facilitators=[sam]),
        starts_at=soon + timedelta(days=1),
        is_public=False,
        organization="Kliniek Noord",
    )
    long_ago = SessionFactory.create(
        offering=ada_s.offering, starts_at=timezone.now() - timedelta(days=200)
    )
    booking = EnrollmentFactory.create(session=ada_s, seats=3, name="Bea Booker")
    ParticipantFactory.create(enrollment=booking, name="Cas Participant")
    return {"ada": ada, "sam": sam, "ada_s": ada_s, "sam_s": sam_s, "long_ago": long_ago}


def uid(session):
    return f"session-{session.pk}@regard"


def test_the_practice_feed_holds_every_session_with_seats_and_no_names(client, sessions):
    feed = calendar_feed_create(facilitator=None)

    found = events(client, feed)

    assert set(found) == {uid(sessions["ada_s"]), uid(sessions["sam_s"])}  # not 200 days ago
    holding = found[uid(sessions["ada_s"])]
    assert str(holding["summary"]) == "Holding space"
    assert "3 of 12 seats taken" in str(holding["description"])
    assert "Kliniek Noord" in str(found[uid(sessions["sam_s"])]["description"])
    body = client.get(f"/calendar/{feed.token}.ics").content.decode()
    assert "Bea Booker" not in body
    assert "Cas Participant" not in body
    feed.refresh_from_db()
    assert feed.last_read_at is not None


def test_a_facilitator_feed_holds_their_sessions_only(client, sessions):
    feed = calendar_feed_create(facilitator=sessions["sam"])

    assert set(events(client, feed)) == {uid(sessions["sam_s"])}


def test_a_moved_session_keeps_its_uid_and_raises_its_sequence(client, sessions):
    feed = calendar_feed_create(facilitator=sessions["ada"])
    session = sessions["ada_s"]
    before = events(client, feed)[uid(session)]

    session.starts_at += timedelta(hours=2)
    session.ends_at += timedelta(hours=2)
    session.save()
    session_notify_change(session_id=session.pk, changed=["starts_at", "ends_at"])
    after = events(client, feed)[uid(session)]

    assert after["sequence"] == before["sequence"] + 1
    assert after.decoded("dtstart") == before.decoded("dtstart") + timedelta(hours=2)


def test_a_cancelled_session_stays_in_the_feed_marked_cancelled(client, sessions):
    feed = calendar_feed_create(facilitator=None)
    session = sessions["sam_s"]
    before = events(client, feed)[uid(session)]

    session_cancel(session_id=session.pk)
    after = events(client, feed)[uid(session)]

    assert str(after["status"]) == "CANCELLED"
    assert after["sequence"] > before["sequence"]


def test_a_new_feed_replaces_the_old_address_and_unknown_ones_are_404(client, sessions):
    old = calendar_feed_create(facilitator=sessions["ada"])
    new = calendar_feed_create(facilitator=sessions["ada"])

    assert client.get(f"/calendar/{old.token}.ics").status_code == HTTPStatus.NOT_FOUND
    assert client.get(f"/calendar/{new.token}.ics").status_code == HTTPStatus.OK
    assert client.get("/calendar/no-such-feed.ics").status_code == HTTPStatus.NOT_FOUND
    assert CalendarFeed.objects.filter(revoked_at__isnull=True).count() == 1


def test_the_admin_makes_a_feed_and_shows_its_address_once_saved(admin_client, sessions):
    response = admin_client.post(
        "/admin/integrations/calendarfeed/add/", {"facilitator": sessions["sam"].pk}
    )

    feed = CalendarFeed.objects.get()
    assert response.status_code == HTTPStatus.FOUND
    page = admin_client.get(f"/admin/integrations/calendarfeed/{feed.pk}/change/")
    assert f"/calendar/{feed.token}.ics" in page.content.decode()


def test_a_facilitator_sees_only_their_own_feed_in_the_admin(client, as_role, sessions):
    theirs = calendar_feed_create(facilitator=sessions["sam"])
    calendar_feed_create(facilitator=sessions["ada"])
    user = as_role(FACILITATOR)
    sessions["sam"].user = user
    sessions["sam"].save()

    page = client.get("/admin/integrations/calendarfeed/").content.decode()

    assert "calendar feed of Sam" in page
    assert "calendar feed of Ada" not in page
    assert (
        client.get(f"/admin/integrations/calendarfeed/{theirs.pk}/change/").status_code
        == HTTPStatus.OK
    )
