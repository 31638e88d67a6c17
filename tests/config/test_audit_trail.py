"""DESIGN.md invariant 7: every change of money, bookings or personal data made by staff is
recorded with who and when: admin log entries for actions, and the history of records."""

import pytest
from django.contrib.admin.models import LogEntry

from billing.models import Payment, Refund
from enrollments.models import Enrollment
from tests.factories import EnrollmentFactory, OfferingFactory, PaymentFactory, SessionFactory
from workshops.models import Offering, Session

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_settings", "eager_tasks")]


def test_a_refund_by_the_admin_is_logged_and_in_the_history_with_who(
    admin_client, admin_user, stripe_refunds
):
    enrollment = EnrollmentFactory.create()
    PaymentFactory.create(enrollment=enrollment)

    admin_client.post(
        "/admin/enrollments/enrollment/",
        {"action": "refund", "_selected_action": [enrollment.pk], "apply": "1", "amount": "25.00"},
    )

    refund = Refund.objects.get()
    created = refund.history.earliest()
    assert (created.history_type, created.history_user) == ("+", admin_user)
    entry = LogEntry.objects.get(object_id=str(enrollment.pk))
    assert (entry.user, entry.get_change_message()) == (admin_user, "Refunded 25.00 EUR.")
    assert "Ada" not in entry.object_repr  # the reference, never the name


def test_publishing_and_cancelling_are_recorded_with_who(admin_client, admin_user):
    offering = OfferingFactory.create(is_published=False)
    session = SessionFactory.create(offering=offering)

    admin_client.post(
        "/admin/workshops/offering/", {"action": "publish", "_selected_action": [offering.pk]}
    )
    admin_client.post(
        "/admin/workshops/session/",
        {"action": "cancel_sessions", "_selected_action": [session.pk], "confirmed": "yes"},
    )

    published = Offering.history.filter(id=offering.pk).latest()
    cancelled = Session.history.filter(id=session.pk).latest()
    assert (published.is_published, published.history_user) == (True, admin_user)
    assert (cancelled.status, cancelled.history_user) == ("cancelled", admin_user)
    assert LogEntry.objects.filter(user=admin_user).count() == 2


def test_a_bookings_history_holds_no_name_address_or_link():
    recorded = {field.name for field in Enrollment.history.model._meta.get_fields()}
    payment_recorded = {field.name for field in Payment.history.model._meta.get_fields()}

    assert not recorded & {"name", "email", "organization", "token"}
    assert {"status", "seats", "amount_cents", "history_user"} <= recorded
    assert not payment_recorded & {"client_secret", "checkout_url"}


def test_a_booking_change_by_a_service_is_in_the_history_without_a_user():
    enrollment = EnrollmentFactory.create(status=Enrollment.Status.PENDING_PAYMENT)
    enrollment.status = Enrollment.Status.CONFIRMED
    enrollment.save(update_fields=["status", "updated_at"])

    steps = list(enrollment.history.order_by("history_date").values_list("status", "history_user"))

    assert steps == [("pending_payment", None), ("confirmed", None)]
