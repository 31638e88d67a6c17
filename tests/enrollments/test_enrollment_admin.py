from datetime import timedelta
from http import HTTPStatus

import pytest
from django.utils import timezone

from billing.models import Refund
from enrollments.models import Enrollment, Participant
from outbox.models import OutgoingMail
from tests.factories import EnrollmentFactory, PaymentFactory, SessionFactory
from tests.stripe_payloads import form
from workshops.models import Session

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_settings", "eager_tasks")]

CHANGELIST = "/admin/enrollments/enrollment/"


def paid(**changes):
    enrollment = EnrollmentFactory.create(**changes)
    PaymentFactory.create(enrollment=enrollment)
    return enrollment


@pytest.mark.parametrize(
    "url",
    [
        CHANGELIST,
        "/admin/billing/payment/",
        "/admin/billing/refund/",
        "/admin/billing/stripeevent/",
    ],
)
def test_admin_lists_open(admin_client, url):
    paid()

    assert admin_client.get(url).status_code == HTTPStatus.OK


def test_admin_enrollment_page_shows_participants_and_payments(admin_client):
    enrollment = paid()
    Participant.objects.create(enrollment=enrollment, name="Bo", email="bo@example.org")

    page = admin_client.get(f"{CHANGELIST}{enrollment.pk}/change/").content.decode()

    assert "bo@example.org" in page
    assert enrollment.payments.get().stripe_payment_intent_id in page


def test_admin_partial_refund(admin_client, stripe_refunds, django_capture_on_commit_callbacks):
    enrollment = paid(session__offering__price_cents=18000)
    form_page = admin_client.post(
        CHANGELIST, {"action": "refund", "_selected_action": [enrollment.pk]}
    )
    assert b"180.00" in form_page.content

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            CHANGELIST,
            {
                "action": "refund",
                "_selected_action": [enrollment.pk],
                "apply": "1",
                "amount": "50.00",
            },
        )

    refund = Refund.objects.get()
    assert (refund.amount_cents, refund.reason, refund.status) == (5000, "admin", "succeeded")
    assert refund.created_by is not None
    assert form(stripe_refunds.calls[0].request)["amount"] == "5000"
    assert Enrollment.objects.get().status == Enrollment.Status.CONFIRMED  # partial: seat kept
    assert OutgoingMail.objects.filter(kind="refund_issued").count() == 1


def test_admin_cannot_refund_more_than_was_paid(admin_client, stripe_refunds):
    enrollment = paid(session__offering__price_cents=18000)

    page = admin_client.post(
        CHANGELIST,
        {"action": "refund", "_selected_action": [enrollment.pk], "apply": "1", "amount": "180.01"},
    )

    assert b"Choose an amount between" in page.content
    assert Refund.objects.count() == 0


def test_admin_full_refund_frees_the_seat(admin_client, stripe_refunds):
    enrollment = paid(session__offering__price_cents=18000)

    admin_client.post(
        CHANGELIST,
        {"action": "refund", "_selected_action": [enrollment.pk], "apply": "1", "amount": "180.00"},
    )

    assert Enrollment.objects.get().status == Enrollment.Status.REFUNDED


def test_admin_resends_a_confirmation(admin_client):
    enrollment = paid()

    admin_client.post(
        CHANGELIST, {"action": "resend_confirmation", "_selected_action": [enrollment.pk]}
    )

    assert OutgoingMail.objects.filter(kind="enrollment_confirmation").count() == 1


def test_admin_cancels_a_whole_session_with_refunds_and_emails(
    admin_client, stripe_refunds, django_capture_on_commit_callbacks, mailoutbox
):
    session = SessionFactory.create(starts_at=timezone.now() + timedelta(days=2))
    confirmed = paid(session=session)
    Participant.objects.create(enrollment=confirmed, name="Bo", email="bo@example.org")
    waiting = EnrollmentFactory.create(session=session, status=Enrollment.Status.WAITLISTED)
    url = "/admin/workshops/session/"

    confirm_page = admin_client.post(
        url, {"action": "cancel_sessions", "_selected_action": [session.pk]}
    )
    assert b"cannot be undone" in confirm_page.content
    assert Session.objects.get().status == Session.Status.SCHEDULED
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            url, {"action": "cancel_sessions", "_selected_action": [session.pk], "confirmed": "yes"}
        )

    assert Session.objects.get().status == Session.Status.CANCELLED
    assert Enrollment.objects.get(pk=confirmed.pk).status == Enrollment.Status.REFUNDED
    assert Enrollment.objects.get(pk=waiting.pk).status == Enrollment.Status.CANCELLED
    assert Refund.objects.get().reason == Refund.Reason.SESSION_CANCELLED
    recipients = sorted(address for message in mailoutbox for address in message.to)
    assert recipients == sorted([confirmed.email, "bo@example.org", waiting.email])
    cancelled_ics = [m for m in mailoutbox if m.attachments]
    assert all("METHOD:CANCEL" in m.attachments[0][1] for m in cancelled_ics)
    assert len(cancelled_ics) == 2


def test_a_booking_with_payments_is_never_deleted_with_them(admin_client):
    # Its payments would go with it (its payable link is not a foreign key the database
    # protects); payments are never deleted by anyone, so neither is the booking.
    booking = paid()
    payment = booking.payments.get()

    page = admin_client.get(f"{CHANGELIST}{booking.pk}/delete/")
    answer = admin_client.post(f"{CHANGELIST}{booking.pk}/delete/", {"post": "yes"})
    bulk = admin_client.post(
        CHANGELIST,
        {"action": "delete_selected", "_selected_action": [booking.pk], "post": "yes"},
    )

    assert "<li>payment</li>" in page.content.decode()  # named as what stands in the way
    assert answer.status_code == HTTPStatus.FORBIDDEN
    assert bulk.status_code == HTTPStatus.FORBIDDEN
    assert Enrollment.objects.filter(pk=booking.pk).exists()
    assert booking.payments.get() == payment


def test_a_booking_without_payments_can_be_deleted(admin_client):
    unpaid = EnrollmentFactory.create(status=Enrollment.Status.WAITLISTED)

    admin_client.post(f"{CHANGELIST}{unpaid.pk}/delete/", {"post": "yes"})

    assert not Enrollment.objects.filter(pk=unpaid.pk).exists()
