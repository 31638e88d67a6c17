"""The exports the bookkeeper and the coordinator take from the admin: bookings, payments and
refunds as CSV, each export written in the admin's log."""

import csv
import io
from datetime import UTC, datetime

import pytest
from django.contrib.admin.models import LogEntry

from billing.models import Refund
from config.roles import BOOKKEEPER, COORDINATOR
from enrollments.models import DiscountCode, DiscountRedemption, Enrollment
from tests.factories import EnrollmentFactory, PaymentFactory, SessionFactory

pytestmark = pytest.mark.django_db


def exported(client, url: str, ids: list[int]) -> list[dict[str, str]]:
    response = client.post(url, {"action": "export_csv", "_selected_action": ids})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def bookings():
    session = SessionFactory.create(
        timezone="America/New_York",
        starts_at=datetime(2031, 3, 4, 14, 0, tzinfo=UTC),  # 09:00 in New York
        offering__title="Gentle limits",
    )
    first = EnrollmentFactory.create(
        session=session,
        name="=HYPERLINK(evil)",
        seats=2,
        amount_cents=27000,
        status=Enrollment.Status.CONFIRMED,
    )
    second = EnrollmentFactory.create(session=session, amount_cents=18000)
    code = DiscountCode.objects.create(code="SPRING25", percent_off=25)
    DiscountRedemption.objects.create(
        code=code, enrollment=first, off_cents=9000, amount_off_cents=9000
    )
    return first, second


def test_a_coordinator_exports_bookings_with_their_discount(client, as_role, bookings):
    first, second = bookings
    user = as_role(COORDINATOR)

    rows = exported(client, "/admin/enrollments/enrollment/", [first.pk, second.pk])

    assert [row["reference"] for row in rows] == [first.reference, second.reference]
    row = rows[0]
    assert (row["offering"], row["session_starts"], row["time_zone"]) == (
        "Gentle limits",
        "2031-03-04T09:00-05:00",
        "America/New_York",
    )
    assert (row["seats"], row["amount"], row["discount_code"], row["discount"]) == (
        "2",
        "270.00",
        "SPRING25",
        "90.00",
    )
    assert row["name"] == "'=HYPERLINK(evil)"  # never a formula in a spreadsheet
    assert rows[1]["discount_code"] == ""
    logged = LogEntry.objects.filter(user=user, change_message="Exported as CSV.")
    assert sorted(str(entry.object_id) for entry in logged) == sorted(
        [str(first.pk), str(second.pk)]
    )


def test_a_bookkeeper_exports_payments_with_what_was_refunded(client, as_role):
    payment = PaymentFactory.create(amount_cents=18000)
    Refund.objects.create(
        payment=payment, amount_cents=5000, currency="EUR", reason="admin", status="succeeded"
    )
    Refund.objects.create(
        payment=payment, amount_cents=2000, currency="EUR", reason="admin", status="failed"
    )
    as_role(BOOKKEEPER)

    [row] = exported(client, "/admin/billing/payment/", [payment.pk])

    assert (row["reference"], row["status"], row["amount"], row["refunded"]) == (
        payment.payable_reference,
        "succeeded",
        "180.00",
        "50.00",
    )
    assert row["stripe_payment_intent"] == payment.stripe_payment_intent_id


def test_refunds_say_who_started_them(client, as_role, admin_user):
    payment = PaymentFactory.create(amount_cents=18000)
    by_hand = Refund.objects.create(
        payment=payment, amount_cents=1000, currency="EUR", reason="admin", created_by=admin_user
    )
    automatic = Refund.objects.create(
        payment=payment,
        amount_cents=17000,
        currency="EUR",
        reason="cancellation",
        status="failed",
        last_error="card_declined",
    )
    as_role(BOOKKEEPER)

    rows = exported(client, "/admin/billing/refund/", [by_hand.pk, automatic.pk])

    assert [(row["reason"], row["by"], row["amount"]) for row in rows] == [
        ("admin", admin_user.get_username(), "10.00"),
        ("cancellation", "automatic", "170.00"),
    ]
    assert rows[1]["error"] == "card_declined"
