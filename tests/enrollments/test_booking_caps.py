"""Caps on what one booking request, person or address may set off: kind refusals that
arrive before anything is stored."""

from datetime import timedelta
from http import HTTPStatus

import pytest
import time_machine
from django.utils import timezone
from rest_framework.throttling import ScopedRateThrottle

from enrollments.models import Enrollment, Participant
from outbox.models import OutgoingMail
from tests.factories import EnrollmentFactory, SessionFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("stripe_settings", "stripe_http"),
]

URL = "/api/v1/enrollments/"
Status = Enrollment.Status


def body(session, **overrides):
    return {
        "session": session.id,
        "name": "Ada Lovelace",
        "email": "ada@example.org",
        "consent": True,
        **overrides,
    }


def book(api, session, address="203.0.113.7", **overrides):
    return api.post(URL, body(session, **overrides), format="json", REMOTE_ADDR=address)


def paid_session(**fields):
    return SessionFactory.create(capacity=30, offering__price_cents=9000, **fields)


def free_session(**fields):
    return SessionFactory.create(capacity=30, offering__price_cents=0, **fields)


def test_a_booking_for_more_seats_than_the_cap_is_refused_kindly(api, settings):
    settings.MAX_SEATS_PER_BOOKING = 5
    session = paid_session()

    response = book(api, session, seats=6)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "up to 5 seats" in response.json()["fields"]["seats"][0]
    assert "plan a session for your team" in response.json()["fields"]["seats"][0]
    assert Enrollment.objects.count() == 0
    assert book(api, session, seats=5).status_code == HTTPStatus.CREATED


def test_one_person_is_on_a_sessions_waitlist_once(api):
    session = SessionFactory.create(capacity=1, waitlist_enabled=True)
    EnrollmentFactory.create(session=session)
    assert book(api, session, join_waitlist=True).json()["status"] == "waitlisted"

    again = book(api, session, join_waitlist=True, email="ADA@Example.org")

    assert again.status_code == HTTPStatus.CONFLICT
    assert again.json()["code"] == "already_on_waitlist"
    assert "already on the waitlist" in again.json()["message"]
    assert Enrollment.objects.filter(status=Status.WAITLISTED).count() == 1
    # Someone else may still wait, and so may Ada for another session.
    assert book(api, session, join_waitlist=True, email="grace@example.org").status_code == 201
    other = SessionFactory.create(capacity=1, waitlist_enabled=True)
    EnrollmentFactory.create(session=other)
    assert book(api, other, join_waitlist=True).status_code == HTTPStatus.CREATED


def test_one_email_holds_seats_for_payment_in_so_many_sessions_until_they_lapse(api, settings):
    settings.MAX_ACTIVE_HOLDS_PER_EMAIL = 2
    sessions = [paid_session() for _ in range(3)]
    with time_machine.travel(timezone.now(), tick=False) as clock:
        held = [book(api, session, address=f"198.51.100.{n}") for n, session in enumerate(sessions)]

        assert [response.status_code for response in held] == [201, 201, 409]
        assert held[2].json()["code"] == "too_many_holds"
        assert Enrollment.objects.filter(session=sessions[2]).count() == 0
        # A free booking holds nothing, so it is taken.
        free = book(api, free_session())
        assert free.json()["status"] == "confirmed"

        clock.shift(timedelta(minutes=settings.ENROLLMENT_HOLD_MINUTES, seconds=1))
        assert book(api, sessions[2]).status_code == HTTPStatus.CREATED


def test_one_address_holds_seats_for_payment_so_many_times_under_any_names(api, settings):
    settings.MAX_ACTIVE_HOLDS_PER_ADDRESS = 2
    session = paid_session()

    statuses = [book(api, session, email=f"p{n}@example.org").status_code for n in range(3)]

    assert statuses == [201, 201, 429]
    refused = book(api, session, email="p9@example.org")
    assert refused.json()["code"] == "too_many_holds"
    assert int(refused["Retry-After"]) > 0
    assert Enrollment.objects.count() == 2
    assert book(api, session, address="192.0.2.1", email="q@example.org").status_code == 201
    # Bookings that hold nothing are not counted.
    assert book(api, free_session(), email="r@example.org").status_code == HTTPStatus.CREATED


def mails_today(address, count):
    OutgoingMail.objects.bulk_create(
        OutgoingMail(
            kind="booking_confirmation",
            to=address,
            subject="Your booking",
            body_text="…",
            next_attempt_at=timezone.now(),
        )
        for _ in range(count)
    )


@pytest.mark.parametrize("whose", ["purchaser", "participant"])
def test_a_booking_that_would_flood_an_address_with_email_is_refused(api, settings, whose):
    settings.MAX_EMAILS_PER_RECIPIENT_PER_DAY = 3
    mails_today("Flooded@Example.org", 3)
    session = SessionFactory.create(capacity=10)
    fields = (
        {"email": "flooded@example.org"}
        if whose == "purchaser"
        else {
            "seats": 2,
            "participants": [
                {"name": "Ada Lovelace", "email": "ada@example.org"},
                {"name": "Grace Hopper", "email": "flooded@example.org"},
            ],
        }
    )

    response = book(api, session, **fields)

    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert response.json()["code"] == "too_many_emails"
    assert "reply to one of our emails" in response.json()["message"]
    assert Enrollment.objects.count() == 0
    assert OutgoingMail.objects.count() == 3
    with time_machine.travel(timezone.now() + timedelta(days=1, minutes=1)):
        assert book(api, session, **fields).status_code == HTTPStatus.CREATED


def roster(api, enrollment, people, address="203.0.113.7"):
    named = [{"name": name, "email": f"{name.lower()}@example.org"} for name in people]
    return api.put(
        f"{URL}{enrollment.token}/participants/",
        {"participants": named},
        format="json",
        REMOTE_ADDR=address,
    )


def test_a_bookings_participant_list_is_throttled_per_link_from_any_address(api, monkeypatch):
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "roster-link", "2/hour")
    enrollment = EnrollmentFactory.create(seats=2)
    other = EnrollmentFactory.create(seats=2)

    statuses = [
        roster(api, enrollment, [f"P{n}"], address=f"198.51.100.{n}").status_code for n in range(3)
    ]

    assert statuses == [200, 200, 429]
    assert list(enrollment.participants.values_list("name", flat=True)) == ["P1"]
    assert roster(api, other, ["Q"], address="198.51.100.9").status_code == HTTPStatus.OK


def test_booking_links_are_throttled_per_address_across_bookings(api, monkeypatch):
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "booking-changes", "2/hour")
    bookings = EnrollmentFactory.create_batch(3, seats=1)

    first = roster(api, bookings[0], ["A"])
    cancel = api.post(f"{URL}{bookings[1].token}/cancel/", REMOTE_ADDR="203.0.113.7")
    third = roster(api, bookings[2], ["C"])

    assert [first.status_code, cancel.status_code, third.status_code] == [200, 200, 429]
    assert third.json()["code"] == "throttled"
    assert not bookings[2].participants.exists()
    refused_pay = api.post(f"{URL}{bookings[2].token}/pay/", REMOTE_ADDR="203.0.113.7")
    assert refused_pay.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert roster(api, bookings[2], ["C"], address="192.0.2.1").status_code == HTTPStatus.OK


def test_a_participant_list_changes_so_many_times_then_the_practice_helps(api, settings):
    settings.MAX_ROSTER_CHANGES = 2
    enrollment = EnrollmentFactory.create(seats=2)

    assert roster(api, enrollment, ["A"]).status_code == HTTPStatus.OK
    assert roster(api, enrollment, ["A"]).status_code == HTTPStatus.OK  # no change: not counted
    assert roster(api, enrollment, ["A", "B"]).status_code == HTTPStatus.OK
    used = roster(api, enrollment, ["C"])

    assert used.status_code == HTTPStatus.CONFLICT
    assert used.json()["code"] == "roster_changes_used"
    assert "write to us with the names" in used.json()["message"]
    assert sorted(enrollment.participants.values_list("name", flat=True)) == ["A", "B"]
    enrollment.refresh_from_db()
    assert enrollment.roster_changes == 2


def test_new_participants_who_have_had_enough_email_today_are_refused(api, settings):
    settings.MAX_EMAILS_PER_RECIPIENT_PER_DAY = 1
    enrollment = EnrollmentFactory.create(seats=2)
    Participant.objects.create(enrollment=enrollment, name="A", email="a@example.org")
    mails_today("a@example.org", 1)
    mails_today("b@example.org", 1)

    # Keeping someone already on the list sends them nothing, so it is fine.
    assert roster(api, enrollment, ["A"]).status_code == HTTPStatus.OK
    refused = roster(api, enrollment, ["A", "B"])

    assert refused.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert refused.json()["code"] == "too_many_emails"
    assert list(enrollment.participants.values_list("name", flat=True)) == ["A"]
