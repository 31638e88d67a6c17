"""Booking from a page: the API's checks and services behind a form that keeps what was
typed, then on to Stripe's Checkout page; a full date offers the waitlist."""

import json
import re
from datetime import UTC, datetime, timedelta
from http import HTTPStatus

import pytest
import responses
from django.test import Client
from django.utils import timezone, translation
from rest_framework.throttling import ScopedRateThrottle

from enrollments.models import Enrollment
from enrollments.services.cancellation import enrollment_cancel
from outbox.models import OutgoingMail
from tests.conftest import STRIPE_TEST_BASE
from tests.factories import EnrollmentFactory, PaymentFactory, SessionFactory
from tests.pages import field_errors
from tests.stripe_payloads import checkout_session, form

pytestmark = pytest.mark.django_db


@pytest.fixture
def checkout(stripe_settings):
    """Paying by Stripe's hosted Checkout page, its API stubbed with real-shaped answers."""
    stripe_settings.PAYMENT_FLOW = "checkout"
    with responses.RequestsMock(assert_all_requests_are_fired=False) as stub:

        def create(request):
            params = form(request)
            amount = int(params["line_items[0][price_data][unit_amount]"]) * int(
                params["line_items[0][quantity]"]
            )
            made = checkout_session(amount=amount, reference=params["client_reference_id"])
            return (200, {}, json.dumps(made))

        stub.add_callback(
            responses.POST, f"{STRIPE_TEST_BASE}/v1/checkout/sessions", callback=create
        )
        yield stub


def booking(**fields):
    return {
        "name": "Ada Lovelace",
        "email": "ada@example.org",
        "seats": "1",
        "consent": "yes",
        "action": "book",
        **fields,
    }


def test_the_form_shows_the_date_the_price_and_what_is_asked(client):
    session = SessionFactory.create(offering__price_cents=18000, offering__currency="EUR")

    page = client.get(f"/sessions/{session.pk}/book/").content.decode()

    assert "180.00 EUR per seat" in page  # in the page's language: 180,00 in Dutch
    assert session.starts_at.astimezone(timezone.get_current_timezone()).year.__str__() in page
    assert 'id="f-name"' in page
    assert 'id="f-email"' in page
    assert 'id="p-0-name"' in page
    assert 'href="/privacy/"' in page


def test_a_paid_booking_holds_the_seats_and_goes_on_to_checkout(client, checkout):
    session = SessionFactory.create(offering__price_cents=18000)

    response = client.post(
        f"/sessions/{session.pk}/book/",
        booking(
            seats="2",
            **{"participant-0-name": "Grace Hopper", "participant-0-email": "grace@example.org"},
        ),
    )

    enrollment = Enrollment.objects.get()
    assert enrollment.status == Enrollment.Status.PENDING_PAYMENT
    assert enrollment.seats == 2
    assert [p.email for p in enrollment.participants.all()] == ["grace@example.org"]
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith("https://checkout.stripe.com/c/pay/cs_test_")


def test_a_free_session_is_booked_at_once_and_leads_to_the_booking(client):
    session = SessionFactory.create(offering__price_cents=0)

    response = client.post(f"/sessions/{session.pk}/book/", booking(), follow=True)

    enrollment = Enrollment.objects.get()
    assert enrollment.status == Enrollment.Status.CONFIRMED
    assert response.redirect_chain == [(f"/enrollments/{enrollment.token}/", HTTPStatus.FOUND)]
    assert "Your place is confirmed" in response.content.decode()


def test_errors_stand_by_their_fields_and_nothing_typed_is_lost(client):
    session = SessionFactory.create()

    response = client.post(
        f"/sessions/{session.pk}/book/",
        booking(
            consent="",
            seats="2",
            name="Ada Lovelace",
            **{
                "participant-0-name": "Grace Hopper",
                "participant-0-email": "grace at example",
                "participant-1-name": "Alan Turing",
                "participant-1-email": "alan@example.org",
            },
        ),
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    page = response.content.decode()
    assert field_errors(page, "p-0-email") == ["Enter a valid email address."]
    assert field_errors(page, "p-1-email") == []
    assert field_errors(page, "f-consent")
    assert field_errors(page, "f-name") == []
    assert 'value="grace at example"' in page
    assert 'value="Alan Turing"' in page
    assert 'href="#p-0-email"' in page
    assert not Enrollment.objects.exists()


def test_too_many_seats_is_refused_kindly_by_its_field(client, settings):
    settings.MAX_SEATS_PER_BOOKING = 4
    session = SessionFactory.create()

    page = client.post(f"/sessions/{session.pk}/book/", booking(seats="5")).content.decode()

    assert "up to 4 seats" in field_errors(page, "f-seats")[0]
    assert not Enrollment.objects.exists()


def test_asking_for_name_fields_shows_one_per_seat_and_books_nothing(client):
    session = SessionFactory.create()

    page = client.post(
        f"/sessions/{session.pk}/book/", booking(seats="3", action="rows", name="Ada")
    ).content.decode()

    assert re.findall(r'id="p-(\d)-name"', page) == ["0", "1", "2"]
    assert 'value="Ada"' in page
    assert not Enrollment.objects.exists()


def test_a_full_date_offers_the_waitlist_and_joining_it_is_free(client):
    session = SessionFactory.create(capacity=1)
    EnrollmentFactory.create(session=session)

    page = client.get(f"/sessions/{session.pk}/book/").content.decode()
    assert "fully booked" in page
    assert "Join the waitlist" in page

    response = client.post(
        f"/sessions/{session.pk}/book/", booking(email="b@example.org", join_waitlist="yes")
    )
    waiting = Enrollment.objects.get(email="b@example.org")
    assert waiting.status == Enrollment.Status.WAITLISTED
    assert response["Location"] == f"/enrollments/{waiting.token}/"


def test_a_date_that_filled_while_typing_offers_the_waitlist_instead(client, settings):
    session = SessionFactory.create(capacity=1, offering__price_cents=0)
    page_seen = client.get(f"/sessions/{session.pk}/book/")
    assert "Book a seat" in page_seen.content.decode()
    EnrollmentFactory.create(session=session)  # someone else was quicker

    response = client.post(f"/sessions/{session.pk}/book/", booking())

    assert response.status_code == HTTPStatus.CONFLICT
    page = response.content.decode()
    assert "Join the waitlist" in page
    assert 'value="Ada Lovelace"' in page
    assert Enrollment.objects.count() == 1


@pytest.mark.parametrize("closed", ["past", "cancelled", "no_waitlist"])
def test_a_date_that_cannot_be_booked_says_so_kindly(client, closed):
    session = SessionFactory.create(
        capacity=1,
        starts_at=timezone.now() + timedelta(days=-1 if closed == "past" else 3),
        status="cancelled" if closed == "cancelled" else "scheduled",
        waitlist_enabled=closed != "no_waitlist",
    )
    if closed == "no_waitlist":
        EnrollmentFactory.create(session=session)

    for response in (
        client.get(f"/sessions/{session.pk}/book/"),
        client.post(f"/sessions/{session.pk}/book/", booking()),
    ):
        assert response.status_code == HTTPStatus.CONFLICT
        assert "Booking for this date has closed" in response.content.decode()
    assert Enrollment.objects.count() == (1 if closed == "no_waitlist" else 0)


def test_a_private_or_unknown_session_is_not_found(client):
    private = SessionFactory.create(is_public=False, organization="Acme Care")

    for pk in (private.pk, 999999):
        assert client.get(f"/sessions/{pk}/book/").status_code == HTTPStatus.NOT_FOUND


def test_booking_too_often_from_one_place_says_when_to_try_again(client, monkeypatch):
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "enrollments", "1/hour")
    session = SessionFactory.create(offering__price_cents=0)
    client.post(f"/sessions/{session.pk}/book/", booking(email="first@example.org"))

    response = client.post(f"/sessions/{session.pk}/book/", booking())

    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert int(response["Retry-After"]) > 0
    assert 'value="Ada Lovelace"' in response.content.decode()
    assert Enrollment.objects.count() == 1


def test_fewer_seats_left_than_asked_for_is_said_by_the_seats_and_offers_the_waitlist(client):
    session = SessionFactory.create(capacity=3, offering__price_cents=0)
    EnrollmentFactory.create(session=session, seats=2)

    response = client.post(f"/sessions/{session.pk}/book/", booking(seats="3"))

    assert response.status_code == HTTPStatus.CONFLICT
    page = response.content.decode()
    assert "Only 1 seat(s) are left" in field_errors(page, "f-seats")[0]
    assert 'id="f-join_waitlist"' in page  # they may wait for all three instead
    assert "fully booked" not in page
    client.post(f"/sessions/{session.pk}/book/", booking(seats="3", join_waitlist="yes"))
    assert Enrollment.objects.get(email="ada@example.org").status == "waitlisted"


def test_without_a_waitlist_a_date_that_filled_meanwhile_says_booking_has_closed(client):
    session = SessionFactory.create(capacity=1, offering__price_cents=0, waitlist_enabled=False)
    assert (
        'id="f-join_waitlist"' not in client.get(f"/sessions/{session.pk}/book/").content.decode()
    )
    EnrollmentFactory.create(session=session)

    response = client.post(f"/sessions/{session.pk}/book/", booking())

    assert response.status_code == HTTPStatus.CONFLICT
    assert "Booking for this date has closed" in response.content.decode()


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[1, 2]", b"[" * 100_000, b'{"card": ["pm_x"]}', b'{"card": "pm_x\\n"}'],
    ids=["text", "list", "deep", "not-a-string", "trailing-newline"],
)
def test_the_card_page_takes_only_a_card_id_and_asks_stripe_nothing_otherwise(
    client, stripe_settings, stripe_http, body
):
    stripe_settings.PAYMENT_FLOW = "payment_intent"
    booking_row = EnrollmentFactory.create(status=Enrollment.Status.PENDING_PAYMENT)
    page = client.post(f"/enrollments/{booking_row.token}/pay/")
    asked = len(stripe_http.calls)  # the PaymentIntent, made on the way to the card page

    response = client.post(page["Location"], body, content_type="application/json")

    assert len(stripe_http.calls) == asked

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["code"] == "invalid"


def test_a_card_page_key_that_was_tampered_with_leads_nowhere(client):
    assert client.get("/payments/card/not-a-key/").status_code == HTTPStatus.NOT_FOUND


def test_a_held_seats_time_is_told_in_the_sessions_own_zone_named(client):
    session = SessionFactory.create(timezone="America/New_York")
    held = EnrollmentFactory.create(
        session=session,
        status=Enrollment.Status.PENDING_PAYMENT,
        hold_expires_at=datetime(2031, 6, 2, 13, 30, tzinfo=UTC),
    )

    page = client.get(f"/enrollments/{held.token}/").content.decode()

    assert "until 09:30 (America/New_York) while payment is completed" in page


def test_a_refund_is_written_as_the_pages_language_writes_amounts(client, stripe_refunds):
    session = SessionFactory.create(
        starts_at=timezone.now() + timedelta(days=30), offering__price_cents=123450
    )
    booking_row = EnrollmentFactory.create(session=session)
    PaymentFactory.create(enrollment=booking_row)
    enrollment_cancel(enrollment_id=booking_row.pk)

    dutch = client.get(f"/enrollments/{booking_row.token}/", HTTP_ACCEPT_LANGUAGE="nl")

    with translation.override("nl"):
        refund = translation.gettext("Refund")
    assert f"<dt>{refund}</dt><dd>1.234,50 EUR (" in dutch.content.decode()


def test_the_card_page_takes_a_card_only_from_our_own_page(stripe_settings, stripe_http):
    stripe_settings.PAYMENT_FLOW = "payment_intent"
    held = EnrollmentFactory.create(status=Enrollment.Status.PENDING_PAYMENT)
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(f"/enrollments/{held.token}/")
    [csrf] = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())[:1]
    card_page = browser.post(f"/enrollments/{held.token}/pay/", {"csrfmiddlewaretoken": csrf})

    forged = browser.post(card_page["Location"], {"card": "pm_x"}, content_type="application/json")

    assert forged.status_code == HTTPStatus.FORBIDDEN  # no CSRF token: not from our page


def roster(**rows):
    return {f"participant-{key.replace('_', '-')}": value for key, value in rows.items()}


def test_who_attends_is_named_on_the_bookings_page_and_each_new_one_is_written_to(
    client, eager_tasks
):
    booked = EnrollmentFactory.create(seats=2)
    url = f"/enrollments/{booked.token}/"
    page = client.get(url).content.decode()
    assert 'id="p-0-name"' in page
    assert 'id="p-1-email"' in page

    response = client.post(
        f"{url}participants/",
        roster(
            **{"0_name": "Grace Hopper", "0_email": "grace@example.org"},
            **{"1_name": "Alan Turing", "1_email": "alan@example.org"},
        ),
        follow=True,
    )

    assert response.redirect_chain == [(url, HTTPStatus.FOUND)]
    assert sorted(booked.participants.values_list("email", flat=True)) == [
        "alan@example.org",
        "grace@example.org",
    ]
    assert OutgoingMail.objects.filter(kind="participant_confirmation").count() == 2
    page = response.content.decode()
    assert "the participants are saved" in page
    assert 'value="Grace Hopper"' in page  # shown again, to change later


def test_a_participant_with_a_mistake_is_told_by_the_field_and_nothing_changes(client):
    booked = EnrollmentFactory.create(seats=2)

    response = client.post(
        f"/enrollments/{booked.token}/participants/",
        roster(**{"0_name": "Grace Hopper", "0_email": "grace at example"}),
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    page = response.content.decode()
    assert field_errors(page, "p-0-email") == ["Enter a valid email address."]
    assert 'value="grace at example"' in page
    assert not booked.participants.exists()


def test_once_the_session_has_begun_the_participants_are_only_listed(client):
    session = SessionFactory.create(starts_at=timezone.now() - timedelta(minutes=5))
    booked = EnrollmentFactory.create(session=session)

    assert 'id="p-0-name"' not in client.get(f"/enrollments/{booked.token}/").content.decode()
    response = client.post(
        f"/enrollments/{booked.token}/participants/",
        roster(**{"0_name": "Grace", "0_email": "grace@example.org"}),
    )

    assert response.status_code == HTTPStatus.CONFLICT
    assert not booked.participants.exists()


def test_a_bookings_participants_are_throttled_per_link(client, monkeypatch):
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "roster-link", "1/hour")
    booked = EnrollmentFactory.create(seats=1)
    url = f"/enrollments/{booked.token}/participants/"
    client.post(url, roster(**{"0_name": "Grace", "0_email": "grace@example.org"}))

    again = client.post(  # from somewhere else: the link is what is counted
        url, roster(**{"0_name": "Alan", "0_email": "alan@example.org"}), REMOTE_ADDR="203.0.113.9"
    )

    assert again.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert [p.email for p in booked.participants.all()] == ["grace@example.org"]
