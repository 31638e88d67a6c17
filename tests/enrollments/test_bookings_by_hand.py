"""Bookings the practice makes or changes by hand in the admin: on the phone with a payment
link, a complimentary seat, a move to another date, some seats of a booking given up."""

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.utils import timezone

from billing.models import Invoice, Refund
from config.errors import Conflict, InvalidInput
from config.roles import BOOKKEEPER, COORDINATOR
from enrollments.models import Enrollment, Participant
from enrollments.services.by_hand import (
    booking_by_hand,
    enrollment_cancel_seats,
    enrollment_transfer,
)
from outbox.models import OutgoingMail, PracticeAlert
from tests.factories import EnrollmentFactory, ParticipantFactory, PaymentFactory, SessionFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_settings")]

CHANGELIST = "/admin/enrollments/enrollment/"
BY_HAND = "/admin/enrollments/enrollment/by-hand/"


def paid(**changes):
    enrollment = EnrollmentFactory.create(**changes)
    PaymentFactory.create(enrollment=enrollment)
    return enrollment


def mails(kind):
    return list(OutgoingMail.objects.filter(kind=kind).order_by("id"))


def test_a_phone_booking_holds_the_seats_a_day_and_emails_its_payment_link():
    session = SessionFactory.create(capacity=3)
    now = timezone.now()

    booking = booking_by_hand(
        session_id=session.pk, name="Ada Vos", email="ada@example.org", seats=2, now=now
    )

    assert (booking.status, booking.by_hand, booking.amount_cents) == ("offered", True, 36000)
    assert booking.hold_expires_at == now + timedelta(hours=24)
    [mail] = mails("booked_by_hand")
    assert mail.to == "ada@example.org"
    assert booking.token in mail.body_text
    assert "360.00 EUR" in mail.body_text
    assert not PracticeAlert.objects.exists()  # the practice made it: no news to itself


def test_a_phone_booking_is_held_no_longer_than_the_sessions_start():
    session = SessionFactory.create(starts_at=timezone.now() + timedelta(hours=5))

    booking = booking_by_hand(session_id=session.pk, name="Ada Vos", email="ada@example.org")

    assert booking.hold_expires_at == session.starts_at


def test_a_complimentary_seat_is_confirmed_at_once_with_its_confirmation_and_calendar():
    session = SessionFactory.create()

    booking = booking_by_hand(
        session_id=session.pk,
        name="Ada Vos",
        email="ada@example.org",
        complimentary=True,
        language="nl",
    )

    assert (booking.status, booking.amount_cents, booking.language) == ("confirmed", 0, "nl")
    assert [p.email for p in booking.participants.all()] == ["ada@example.org"]
    [mail] = mails("enrollment_confirmation")
    assert mail.body_text.startswith("Beste Ada Vos")
    assert mail.attachments


def test_the_practice_books_past_the_online_deadline_but_never_a_begun_session():
    closed_online = SessionFactory.create(enrollment_closes_at=timezone.now() - timedelta(hours=1))
    begun = SessionFactory.create(
        starts_at=timezone.now() - timedelta(minutes=5), ends_at=timezone.now() + timedelta(hours=1)
    )

    booked = booking_by_hand(session_id=closed_online.pk, name="A", email="a@example.org")
    with pytest.raises(Conflict):
        booking_by_hand(session_id=begun.pk, name="B", email="b@example.org")

    assert booked.status == "offered"


def test_a_booking_by_hand_takes_no_seat_someone_waiting_could_use():
    session = SessionFactory.create(capacity=1)
    EnrollmentFactory.create(session=session, seats=1)
    waiting = EnrollmentFactory.create(
        session=session, seats=1, status=Enrollment.Status.WAITLISTED
    )
    session.capacity = 2
    session.save()  # a seat freed, not yet offered on

    with pytest.raises(Conflict) as refused:
        booking_by_hand(session_id=session.pk, name="Ada", email="ada@example.org")

    assert refused.value.code == "not_enough_seats"
    assert Enrollment.objects.filter(email="ada@example.org").count() == 0
    waiting.refresh_from_db()
    assert waiting.status == "offered"  # the freed seat went to them first


def test_giving_up_seats_early_refunds_their_share_and_tells_who_no_longer_comes(stripe_refunds):
    booking = paid(seats=5, amount_cents=90000)
    people = [ParticipantFactory.create(enrollment=booking) for _ in range(5)]
    waiting = EnrollmentFactory.create(
        session=booking.session, seats=2, status=Enrollment.Status.WAITLISTED
    )
    booking.session.capacity = 5
    booking.session.save()

    changed, refund = enrollment_cancel_seats(
        enrollment_id=booking.pk, seats=2, taken_off=[people[3].pk, people[4].pk]
    )

    assert (changed.seats, changed.amount_cents, refund) == (3, 54000, 36000)
    assert Refund.objects.get().amount_cents == 36000
    assert set(Participant.objects.values_list("pk", flat=True)) == {p.pk for p in people[:3]}
    assert {m.to for m in mails("participant_removed")} == {people[3].email, people[4].email}
    [told] = mails("seats_cancelled")
    assert "360.00" in told.body_text
    waiting.refresh_from_db()
    assert waiting.status == "offered"  # the two seats went to the one waiting for two


def test_seats_given_up_close_to_the_session_are_not_refunded():
    booking = paid(seats=2, session__starts_at=timezone.now() + timedelta(days=2))

    changed, refund = enrollment_cancel_seats(enrollment_id=booking.pk, seats=1)

    assert (changed.seats, refund) == (1, 0)
    assert not Refund.objects.exists()
    assert "not refunded" in mails("seats_cancelled")[0].body_text


@pytest.mark.parametrize("seats", [0, 3])
def test_giving_up_every_seat_or_none_is_refused(seats):
    booking = paid(seats=3)

    with pytest.raises(InvalidInput) as refused:
        enrollment_cancel_seats(enrollment_id=booking.pk, seats=seats)

    assert "seats" in (refused.value.fields or {})
    assert Enrollment.objects.get().seats == 3


def test_giving_up_seats_asks_who_no_longer_comes_when_more_are_named_than_remain():
    booking = paid(seats=2, amount_cents=36000)
    ParticipantFactory.create_batch(2, enrollment=booking)

    with pytest.raises(InvalidInput) as refused:
        enrollment_cancel_seats(enrollment_id=booking.pk, seats=1)

    assert "taken_off" in (refused.value.fields or {})
    assert Participant.objects.count() == 2


def test_a_move_to_a_cheaper_date_refunds_the_difference_and_tells_everyone(stripe_refunds):
    booking = paid(seats=2, amount_cents=36000)
    ParticipantFactory.create(enrollment=booking, email="bo@example.org")
    cheaper = SessionFactory.create(offering=booking.session.offering, price_override_cents=15000)
    old = booking.session

    moved, difference = enrollment_transfer(enrollment_id=booking.pk, to_session_id=cheaper.pk)

    assert (moved.session_id, moved.amount_cents, difference) == (cheaper.pk, 30000, -6000)
    assert Refund.objects.get().amount_cents == 6000
    told = mails("booking_moved")
    assert {m.to for m in told} == {booking.email, "bo@example.org"}
    purchaser = next(m for m in told if m.to == booking.email)
    assert "60.00" in purchaser.body_text
    assert len(purchaser.attachments) == 2  # the old date out of the agenda, the new one in
    assert old.pk != moved.session_id


def test_a_move_to_a_dearer_date_invoices_the_difference():
    booking = paid(amount_cents=18000)
    dearer = SessionFactory.create(offering=booking.session.offering, price_override_cents=20000)

    moved, difference = enrollment_transfer(enrollment_id=booking.pk, to_session_id=dearer.pk)

    assert (moved.amount_cents, difference) == (20000, 2000)
    invoice = Invoice.objects.get()
    assert (invoice.total_cents, invoice.buyer_email) == (2000, booking.email)
    assert mails("invoice_issued")
    assert "2,000.00" not in mails("booking_moved")[0].body_text
    assert "20.00" in mails("booking_moved")[0].body_text


def test_a_move_is_only_to_another_date_of_the_same_offering_with_room():
    booking = paid()
    elsewhere = SessionFactory.create()
    full = SessionFactory.create(offering=booking.session.offering, capacity=1)
    EnrollmentFactory.create(session=full)

    with pytest.raises(InvalidInput):
        enrollment_transfer(enrollment_id=booking.pk, to_session_id=elsewhere.pk)
    with pytest.raises(Conflict):
        enrollment_transfer(enrollment_id=booking.pk, to_session_id=full.pk)

    assert Enrollment.objects.get(pk=booking.pk).session_id == booking.session_id


def test_a_coordinator_books_by_hand_in_the_admin(client, as_role):
    session = SessionFactory.create()
    as_role(COORDINATOR)

    listed = client.get(CHANGELIST).content.decode()
    response = client.post(
        BY_HAND,
        {
            "session": session.pk,
            "way": "payment_link",
            "name": "Ada Vos",
            "email": "ada@example.org",
            "seats": "2",
            "participants": "Ada Vos, ada@example.org\nBo Smit <bo@example.org>",
            "language": "en",
            "consent": "on",
        },
    )

    booking = Enrollment.objects.get()
    assert BY_HAND in listed
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == f"{CHANGELIST}{booking.pk}/change/"
    assert sorted(booking.participants.values_list("name", flat=True)) == ["Ada Vos", "Bo Smit"]
    assert mails("booked_by_hand")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"consent": ""}, "consent"),
        ({"participants": "Ada Vos"}, "participants"),
        ({"seats": "1", "participants": "A, a@example.org\nB, b@example.org"}, "participants"),
        ({"email": "not an address"}, "email"),
    ],
)
def test_a_booking_by_hand_with_details_to_mend_books_nothing(admin_client, change, field):
    session = SessionFactory.create()
    details = {
        "session": session.pk,
        "way": "complimentary",
        "name": "Ada Vos",
        "email": "ada@example.org",
        "seats": "1",
        "language": "en",
        "consent": "on",
    }

    response = admin_client.post(BY_HAND, {**details, **change})

    assert response.status_code == HTTPStatus.OK
    assert field in response.context["form"].errors
    assert not Enrollment.objects.exists()


def test_a_full_session_says_so_on_the_form(admin_client):
    session = SessionFactory.create(capacity=1)
    EnrollmentFactory.create(session=session)

    response = admin_client.post(
        BY_HAND,
        {
            "session": session.pk,
            "way": "complimentary",
            "name": "Ada",
            "email": "ada@example.org",
            "seats": "1",
            "language": "en",
            "consent": "on",
        },
    )

    assert "Only 0 seat(s) can be given" in response.content.decode()
    assert Enrollment.objects.count() == 1


def test_a_bookkeeper_may_not_book_by_hand(client, as_role):
    as_role(BOOKKEEPER)

    assert client.get(BY_HAND).status_code == HTTPStatus.FORBIDDEN
    assert BY_HAND not in client.get(CHANGELIST).content.decode()


def test_the_admin_moves_a_booking_and_gives_up_seats(admin_client, admin_user, stripe_refunds):
    booking = paid(seats=3, amount_cents=54000)
    other = SessionFactory.create(offering=booking.session.offering)

    asked = admin_client.post(
        CHANGELIST, {"action": "move_to_session", "_selected_action": [booking.pk]}
    )
    admin_client.post(
        CHANGELIST,
        {
            "action": "move_to_session",
            "_selected_action": [booking.pk],
            "apply": "1",
            "session": other.pk,
        },
    )
    admin_client.post(
        CHANGELIST,
        {"action": "cancel_seats", "_selected_action": [booking.pk], "apply": "1", "seats": "1"},
    )

    booking.refresh_from_db()
    assert str(other) in asked.content.decode()
    assert (booking.session_id, booking.seats, booking.amount_cents) == (other.pk, 2, 36000)
    refund = Refund.objects.get()
    assert refund.amount_cents == 18000
    assert refund.created_by == admin_user
    assert not PracticeAlert.objects.exists()  # a refund by hand is not news to the practice


def test_a_phone_bookings_page_says_it_was_arranged_and_offers_the_payment(client):
    session = SessionFactory.create()
    booking = booking_by_hand(session_id=session.pk, name="Ada Vos", email="ada@example.org")

    page = " ".join(client.get(f"/enrollments/{booking.token}/").content.decode().split())

    assert "As we discussed, we're holding your booking until" in page
    assert "a seat opened up" not in page
    assert f'action="/enrollments/{booking.token}/pay/"' in page


def test_a_complimentary_booking_moves_and_gives_up_seats_for_nothing():
    booking = EnrollmentFactory.create(seats=2, amount_cents=0, by_hand=True)
    dearer = SessionFactory.create(offering=booking.session.offering, price_override_cents=25000)

    moved, difference = enrollment_transfer(enrollment_id=booking.pk, to_session_id=dearer.pk)
    changed, refund = enrollment_cancel_seats(enrollment_id=booking.pk, seats=1)

    assert (moved.amount_cents, difference, changed.amount_cents, refund) == (0, 0, 0, 0)
    assert not Invoice.objects.exists()
    assert "not refunded" not in mails("seats_cancelled")[0].body_text
