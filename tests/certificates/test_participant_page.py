"""Each participant's own page: their session and calendar file, their survey, their
certificates, their registration number; never the booking's page."""

from datetime import timedelta
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.utils import timezone

from certificates.models import Certificate
from certificates.services import certificates_issue_due
from enrollments.models import Enrollment
from enrollments.services.roster import queue_confirmations
from outbox.models import OutgoingMail
from tests.factories import (
    EnrollmentFactory,
    OfferingFactory,
    ParticipantFactory,
    SessionFactory,
    SurveyInvitationFactory,
)

pytestmark = pytest.mark.django_db


def page_of(participant):
    return f"/participants/{participant.token}/"


def text(response):
    return " ".join(response.content.decode().split())


def test_an_upcoming_session_shows_when_where_how_to_join_and_the_calendar_file(client):
    session = SessionFactory.create(title="Holding space")
    participant = ParticipantFactory.create(
        enrollment=EnrollmentFactory.create(session=session), name="Bo Smit"
    )

    page = text(client.get(page_of(participant)))
    calendar = client.get(f"{page_of(participant)}calendar.ics")

    assert "Welcome, Bo Smit." in page
    assert session.meeting_link in page
    assert f"{page_of(participant)}calendar.ics" in page
    assert calendar["Content-Type"].startswith("text/calendar")
    assert b"BEGIN:VEVENT" in calendar.content
    assert session.meeting_link.encode() in calendar.content


def test_a_cancelled_place_says_so_and_shows_no_joining_details(client):
    participant = ParticipantFactory.create(
        enrollment=EnrollmentFactory.create(status=Enrollment.Status.CANCELLED)
    )

    page = text(client.get(page_of(participant)))
    calendar = client.get(f"{page_of(participant)}calendar.ics")

    assert "no longer booked for you" in page
    assert participant.enrollment.session.meeting_link not in page
    assert b"STATUS:CANCELLED" in calendar.content


@pytest.mark.parametrize("token", ["no-such-token", "x" * 200])
def test_an_unknown_link_is_a_kind_404(client, token):
    assert client.get(f"/participants/{token}/").status_code == HTTPStatus.NOT_FOUND
    assert client.get(f"/participants/{token}/calendar.ics").status_code == HTTPStatus.NOT_FOUND


def test_an_erased_participants_page_is_gone(client):
    participant = ParticipantFactory.create(name="", email="")

    assert client.get(page_of(participant)).status_code == HTTPStatus.NOT_FOUND


def test_after_the_session_the_page_offers_the_survey_then_lists_the_certificate(client):
    starts = timezone.now() - timedelta(days=2)
    session = SessionFactory.create(
        starts_at=starts,
        ends_at=starts + timedelta(hours=3),
        offering=OfferingFactory.create(ce_hours=Decimal("3.0")),
    )
    participant = ParticipantFactory.create(
        enrollment=EnrollmentFactory.create(session=session), attendance="present"
    )
    invitation = SurveyInvitationFactory.create(participant=participant)

    before = text(client.get(page_of(participant)))
    invitation.submitted_at = timezone.now()
    invitation.save()
    certificates_issue_due()
    certificate = Certificate.objects.get()
    after = text(client.get(page_of(participant)))
    pdf = client.get(f"{page_of(participant)}certificates/{certificate.code}.pdf")
    stranger = ParticipantFactory.create()
    borrowed = client.get(f"{page_of(stranger)}certificates/{certificate.code}.pdf")

    assert f"/surveys/{invitation.token}/" in before
    assert "Once you have attended the whole session" in before
    assert f"/surveys/{invitation.token}/" not in after
    assert certificate.shown_code in after
    assert pdf.content.startswith(b"%PDF")
    assert borrowed.status_code == HTTPStatus.NOT_FOUND  # only on the holder's own page


def test_a_registration_number_given_later_reissues_the_certificate_with_it(client):
    starts = timezone.now() - timedelta(days=2)
    session = SessionFactory.create(
        starts_at=starts,
        ends_at=starts + timedelta(hours=3),
        offering__ce_requires_evaluation=False,
    )
    participant = ParticipantFactory.create(
        enrollment=EnrollmentFactory.create(session=session), attendance="present"
    )
    certificates_issue_due()
    first = Certificate.objects.get()

    saved = client.post(page_of(participant), {"registration_number": " BIG  12345 "}, follow=True)

    first.refresh_from_db()
    new = Certificate.objects.get(status="valid")
    assert "your corrected certificate is on its way" in text(saved)
    assert (first.status, first.replaced_by_id) == ("revoked", new.pk)
    assert new.registration_number == "BIG 12345"
    assert OutgoingMail.objects.filter(kind="certificate_issued").count() == 2


def test_a_registration_number_too_long_is_sent_back_and_nothing_kept(client):
    participant = ParticipantFactory.create()

    response = client.post(page_of(participant), {"registration_number": "9" * 61})

    participant.refresh_from_db()
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "At most 60 characters" in text(response)
    assert participant.registration_number == ""


def test_confirmations_link_each_attendee_to_their_own_page_never_the_booking_holder(client):
    booking = EnrollmentFactory.create(seats=2, email="lead@example.org")
    own = ParticipantFactory.create(enrollment=booking, email="lead@example.org")
    other = ParticipantFactory.create(enrollment=booking, email="bo@example.org")

    queue_confirmations(booking)

    to_lead = OutgoingMail.objects.get(kind="enrollment_confirmation")
    to_bo = OutgoingMail.objects.get(kind="participant_confirmation")
    assert page_of(own) in to_lead.body_text
    assert page_of(other) in to_bo.body_text
    assert page_of(other) not in to_lead.body_text
    assert booking.token not in to_bo.body_text


def test_a_place_held_for_payment_is_said_to_be_not_yet_confirmed(client):
    participant = ParticipantFactory.create(
        enrollment=EnrollmentFactory.create(status=Enrollment.Status.PENDING_PAYMENT)
    )

    page = text(client.get(page_of(participant)))

    assert "Your place isn't confirmed yet." in page
    assert "no longer booked" not in page
