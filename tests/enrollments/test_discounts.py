"""Discount codes (DESIGN.md): made in the admin, used when booking, refused kindly at the
code's field, given back when a booking expires or is cancelled, shown on the invoice."""

from datetime import timedelta
from decimal import Decimal
from http import HTTPStatus

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.utils import timezone
from rest_framework.throttling import ScopedRateThrottle

from billing.models import Invoice, Payment
from config.roles import BOOKKEEPER, COORDINATOR
from enrollments.models import DiscountCode, DiscountRedemption, Enrollment
from enrollments.services import discounts, holds
from enrollments.services.cancellation import enrollment_cancel
from enrollments.services.holds import holds_expire
from tests.factories import OfferingFactory, PaymentFactory, SessionFactory
from tests.pages import field_errors
from tests.stripe_payloads import delivery, payment_succeeded

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_settings")]

URL = "/api/v1/enrollments/"
WEBHOOK = "/api/v1/billing/stripe/webhook/"


def body(session, **overrides):
    return {
        "session": session.id,
        "name": "Ada Lovelace",
        "email": "ada@example.org",
        "consent": True,
        **overrides,
    }


def code(**fields) -> DiscountCode:
    offerings = fields.pop("offerings", [])
    made = DiscountCode.objects.create(**{"code": "SPRING25", "percent_off": 25, **fields})
    made.offerings.set(offerings)
    return made


@pytest.fixture
def session():
    return SessionFactory.create(capacity=10, offering__price_cents=18000)


def test_a_percentage_comes_off_the_booking_and_the_answer_says_so(api, stripe_http, session):
    spring = code()

    response = api.post(URL, body(session, seats=2, discount_code="spring25 "), format="json")

    assert response.status_code == HTTPStatus.CREATED
    data = response.json()
    assert data["amount"] == "270.00"
    assert data["discount"] == {
        "code": "SPRING25",
        "amount_off": "90.00",
        "amount": "270.00",
        "currency": "EUR",
    }
    booking = Enrollment.objects.get()
    assert booking.amount_cents == 27000
    redemption = DiscountRedemption.objects.get()
    assert (redemption.code, redemption.enrollment) == (spring, booking)
    assert (redemption.off_cents, redemption.amount_off_cents) == (9000, 9000)
    assert "amount=27000" in stripe_http.calls[0].request.body  # Stripe asks the lower amount
    detail = api.get(f"/api/v1/enrollments/{booking.token}/").json()
    assert detail["discount"] == data["discount"]


def test_without_a_code_the_answer_has_no_discount(api, stripe_http, session):
    data = api.post(URL, body(session), format="json").json()

    assert data["discount"] is None
    assert data["amount"] == "180.00"


def test_an_amount_never_takes_the_price_below_zero_and_a_free_booking_is_confirmed(api, session):
    code(kind=DiscountCode.Kind.AMOUNT, percent_off=None, amount_off_cents=50000)

    data = api.post(URL, body(session, discount_code="SPRING25"), format="json").json()

    assert data["status"] == "confirmed"
    assert (data["amount"], data["discount"]["amount_off"]) == ("0.00", "180.00")
    assert data["payment"] is None
    assert not Payment.objects.exists()


@pytest.mark.parametrize(
    ("changes", "typed", "says"),
    [
        ({}, "WINTER25", "We don't recognise this code"),
        ({}, "SPR", "We don't recognise this code"),
        ({"is_active": False}, "SPRING25", "We don't recognise this code"),
        ({"valid_until": timezone.now() - timedelta(days=1)}, "SPRING25", "has expired"),
        ({"valid_from": timezone.now() + timedelta(days=3)}, "SPRING25", "can be used from"),
        ({"max_uses": 0}, "SPRING25", "used as often as it may be"),
        (
            {"kind": "amount", "percent_off": None, "amount_off_cents": 500, "currency": "USD"},
            "SPRING25",
            "isn't for this offering",
        ),
    ],
)
def test_a_code_that_does_not_apply_is_refused_at_its_field_and_nothing_is_stored(
    api, session, changes, typed, says
):
    code(**changes)

    response = api.post(URL, body(session, discount_code=typed), format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["code"] == "invalid"
    [message] = response.json()["fields"]["discount_code"]
    assert says in message
    assert not Enrollment.objects.exists()
    assert not DiscountRedemption.objects.exists()


def test_a_code_for_other_offerings_is_refused(api, session):
    code(offerings=[OfferingFactory.create()])

    response = api.post(URL, body(session, discount_code="SPRING25"), format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "isn't for this offering" in response.json()["fields"]["discount_code"][0]


def test_a_free_session_needs_no_code(api):
    free = SessionFactory.create(offering__price_cents=0)
    code()

    response = api.post(URL, body(free, discount_code="SPRING25"), format="json")

    assert "free already" in response.json()["fields"]["discount_code"][0]


def test_one_address_uses_a_code_as_often_as_it_may(api, stripe_http, session):
    code(max_uses_per_email=1)
    assert api.post(URL, body(session, discount_code="SPRING25"), format="json").status_code == 201

    again = api.post(
        URL, body(session, email="ADA@example.org", discount_code="SPRING25"), format="json"
    )
    other = api.post(
        URL, body(session, email="grace@example.org", discount_code="SPRING25"), format="json"
    )

    assert "already been used with your email" in again.json()["fields"]["discount_code"][0]
    assert other.status_code == HTTPStatus.CREATED


def test_a_lapsed_hold_gives_its_use_back(api, stripe_http, session):
    spring = code(max_uses=1)
    api.post(URL, body(session, discount_code="SPRING25"), format="json")
    refused = api.post(URL, body(session, email="g@example.org", discount_code="SPRING25"))
    assert refused.status_code == HTTPStatus.BAD_REQUEST

    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        assert holds_expire() == 1
        taken = api.post(URL, body(session, email="g@example.org", discount_code="SPRING25"))

    assert taken.status_code == HTTPStatus.CREATED
    assert DiscountRedemption.objects.filter(code=spring, given_back_at=None).count() == 1
    assert DiscountRedemption.objects.exclude(given_back_at=None).count() == 1


def test_a_cancelled_booking_gives_its_use_back(api, stripe_http, session):
    code(max_uses=1)
    api.post(URL, body(session, discount_code="SPRING25"), format="json")

    enrollment_cancel(enrollment_id=Enrollment.objects.get().pk)

    assert DiscountRedemption.objects.get().given_back_at is not None
    taken = api.post(URL, body(session, email="g@example.org", discount_code="SPRING25"))
    assert taken.status_code == HTTPStatus.CREATED


@pytest.fixture
def pay_late(api, django_capture_on_commit_callbacks):
    """Stripe's word that a booking was paid, arriving after its hold lapsed."""

    def pay(booking: Enrollment) -> Enrollment:
        payment = PaymentFactory.create(
            enrollment=booking, status=Payment.Status.PENDING, amount_cents=booking.amount_cents
        )
        with (
            time_machine.travel(timezone.now() + timedelta(minutes=40)),
            django_capture_on_commit_callbacks(execute=True),
        ):
            holds_expire()
            payload, header = delivery(payment_succeeded(payment))
            api.generic(
                "POST", WEBHOOK, payload, content_type="application/json",
                HTTP_STRIPE_SIGNATURE=header,
            )  # fmt: skip
        booking.refresh_from_db()
        return booking

    return pay


def booked_with(session, email: str) -> Enrollment:
    return holds.enrollment_hold(
        session_id=session.pk, name="Ada", email=email, discount_code="SPRING25"
    )


def test_a_late_payment_takes_its_use_again_when_one_is_free(session, pay_late, eager_tasks):
    code(max_uses=1)

    booking = pay_late(booked_with(session, "ada@example.org"))

    assert booking.status == Enrollment.Status.CONFIRMED
    assert DiscountRedemption.objects.get().given_back_at is None


def test_a_late_payment_whose_use_went_to_another_is_refunded(session, pay_late, eager_tasks):
    code(max_uses=1)
    booking = booked_with(session, "ada@example.org")
    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        holds_expire()
        booked_with(session, "grace@example.org")  # the use, given back, goes to Grace

    booking = pay_late(booking)

    assert booking.status == Enrollment.Status.REFUNDED
    assert DiscountRedemption.objects.filter(given_back_at=None).get().enrollment.email == (
        "grace@example.org"
    )


@pytest.mark.parametrize(
    ("include_tax", "price", "lines", "totals"),
    [
        # 21% included: 121.00 less 25% (30.25) is 90.75, each line's tax to the cent.
        (True, 12100, [(12100, 10000, 2100), (-3025, -2500, -525)], (7500, 1575, 9075)),
        # 21% on top: 100.00 less 25.00, tax on each.
        (False, 10000, [(10000, 10000, 2100), (-2500, -2500, -525)], (7500, 1575, 9075)),
    ],
)
def test_the_receipt_shows_the_discount_as_its_own_line(
    api,
    settings,
    eager_tasks,
    django_capture_on_commit_callbacks,
    include_tax,
    price,
    lines,
    totals,
):
    settings.PRICES_INCLUDE_TAX = include_tax
    settings.DEFAULT_TAX_RATE = Decimal(21)
    session = SessionFactory.create(offering__price_cents=price)
    code()
    booking = booked_with(session, "ada@example.org")
    payment = PaymentFactory.create(
        enrollment=booking, status=Payment.Status.PENDING, amount_cents=booking.amount_cents
    )
    payload, header = delivery(payment_succeeded(payment))

    with django_capture_on_commit_callbacks(execute=True):
        api.generic(
            "POST", WEBHOOK, payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
        )

    invoice = Invoice.objects.get()
    got = [(line.unit_price_cents, line.net_cents, line.tax_cents) for line in invoice.lines.all()]
    assert got == lines
    assert invoice.lines.all()[1].description == "Discount code SPRING25"
    assert (invoice.net_cents, invoice.tax_cents, invoice.total_cents) == totals
    assert invoice.total_cents == booking.amount_cents == invoice.paid_cents


# --- Trying a code before booking ----------------------------------------------------


def quote(api, typed, session, **params):
    return api.get(f"/api/v1/discount-codes/{typed}/", {"session": session.id, **params})


def test_a_code_is_tried_for_seats_in_a_session(api, session):
    code()

    answer = quote(api, "spring25", session, seats=2)

    assert answer.status_code == HTTPStatus.OK
    assert answer.json() == {
        "code": "SPRING25",
        "valid": True,
        "amount_off": "90.00",
        "amount": "270.00",
        "currency": "EUR",
        "message": "",
    }


def test_a_code_that_does_not_apply_says_why_and_what_the_seats_cost(api, session):
    code(valid_until=timezone.now() - timedelta(hours=1))

    answer = quote(api, "SPRING25", session).json()

    assert (answer["valid"], answer["amount_off"], answer["amount"]) == (False, "0.00", "180.00")
    assert "expired" in answer["message"]


def test_an_unknown_code_is_not_found_and_a_bad_session_is_a_field_error(api, session):
    code()

    unknown = quote(api, "NOSUCHCODE", session)
    no_session = api.get("/api/v1/discount-codes/SPRING25/", {"session": 999999})
    bad_seats = quote(api, "SPRING25", session, seats=0)

    assert unknown.status_code == HTTPStatus.NOT_FOUND
    assert "recognise" in unknown.json()["message"]
    assert no_session.status_code == HTTPStatus.BAD_REQUEST
    assert set(no_session.json()["fields"]) == {"session"}
    assert set(bad_seats.json()["fields"]) == {"seats"}


def test_trying_codes_is_throttled_per_address(api, session, monkeypatch):
    rates = {**ScopedRateThrottle.THROTTLE_RATES, "discount-codes": "3/hour"}
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", rates)

    answers = [quote(api, f"GUESS{n}", session).status_code for n in range(4)]

    assert answers == [404, 404, 404, 429]


def test_the_booking_page_tells_a_refused_code_at_its_field(client, session):
    code(max_uses=0)

    page = client.post(
        f"/sessions/{session.id}/book/",
        {
            "name": "Ada Lovelace",
            "email": "ada@example.org",
            "seats": "1",
            "discount_code": "SPRING25",
            "consent": "yes",
            "action": "book",
        },
    )

    assert page.status_code == HTTPStatus.BAD_REQUEST
    errors = field_errors(page.content.decode(), "f-discount_code")
    assert any("used as often" in error for error in errors)
    assert not Enrollment.objects.exists()


def test_the_booking_page_shows_the_discount(client, stripe_http, session):
    code()
    booking = booked_with(session, "ada@example.org")

    page = client.get(f"/enrollments/{booking.token}/").content.decode()

    assert "135.00 EUR (with discount code SPRING25: 45.00 EUR off)" in page


# --- The admin ------------------------------------------------------------------------


def admin_form(**fields):
    return {
        "code": "summer-30",
        "label": "Summer newsletter",
        "kind": "percent",
        "percent_off": "30",
        "amount_off": "",
        "currency": "EUR",
        "valid_from_0": "",
        "valid_from_1": "",
        "valid_until_0": "",
        "valid_until_1": "",
        "max_uses": "10",
        "max_uses_per_email": "1",
        "is_active": "on",
        "redemptions-TOTAL_FORMS": "0",
        "redemptions-INITIAL_FORMS": "0",
        **fields,
    }


def test_a_coordinator_makes_a_code_kept_in_capitals(client, as_role):
    as_role(COORDINATOR)

    made = client.post("/admin/enrollments/discountcode/add/", admin_form())

    assert made.status_code == HTTPStatus.FOUND, made.content.decode()[:2000]
    summer = DiscountCode.objects.get()
    assert (summer.code, summer.percent_off, summer.max_uses) == ("SUMMER-30", 30, 10)
    listed = client.get("/admin/enrollments/discountcode/").content.decode()
    assert "0 of 10" in listed


def test_an_amount_off_is_typed_in_euros(client, as_role):
    as_role(COORDINATOR)

    client.post(
        "/admin/enrollments/discountcode/add/",
        admin_form(kind="amount", percent_off="", amount_off="25.50"),
    )

    summer = DiscountCode.objects.get()
    assert (summer.kind, summer.amount_off_cents, summer.percent_off) == ("amount", 2550, None)


@pytest.mark.parametrize(
    ("fields", "field", "says"),
    [
        ({"code": "abc"}, "code", "At least 5"),
        ({"code": "no spaces!"}, "code", "At least 5"),
        ({"percent_off": ""}, "percent_off", "from 1 to 100"),
        ({"percent_off": "120"}, "percent_off", "from 1 to 100"),
        ({"kind": "amount", "percent_off": ""}, "amount_off", "Give the amount off"),
    ],
)
def test_the_admin_form_refuses_a_code_that_would_not_work(client, as_role, fields, field, says):
    as_role(COORDINATOR)

    page = client.post("/admin/enrollments/discountcode/add/", admin_form(**fields))

    assert page.status_code == HTTPStatus.OK
    assert says in " ".join(page.context["adminform"].form.errors.get(field, []))
    assert not DiscountCode.objects.exists()


def test_a_code_written_like_another_is_refused(client, as_role):
    code(code="SUMMER-30")
    as_role(COORDINATOR)

    page = client.post("/admin/enrollments/discountcode/add/", admin_form(code="Summer-30"))

    assert "already" in " ".join(page.context["adminform"].form.errors["code"])


def test_deactivating_stops_a_code_and_is_recorded(client, as_role, api, session):
    spring = code()
    as_role(COORDINATOR)

    client.post(
        "/admin/enrollments/discountcode/",
        {"action": "deactivate", "_selected_action": [spring.pk]},
    )

    spring.refresh_from_db()
    assert not spring.is_active
    refused = api.post(URL, body(session, discount_code="SPRING25"), format="json")
    assert refused.status_code == HTTPStatus.BAD_REQUEST


def test_a_bookkeeper_reads_codes_and_changes_none(client, as_role):
    spring = code()
    as_role(BOOKKEEPER)

    assert client.get(f"/admin/enrollments/discountcode/{spring.pk}/change/").status_code == 200
    client.post("/admin/enrollments/discountcode/add/", admin_form())
    assert DiscountCode.objects.count() == 1
    assert Group.objects.get(name=BOOKKEEPER).permissions.filter(codename="view_discountcode")


def test_the_quote_and_the_booking_agree(session):
    spring = code(percent_off=33)

    quoted = discounts.discount_quote(code="spring25", session=session, seats=3)
    booking = holds.enrollment_hold(
        session_id=session.pk, name="Ada", email="a@example.org", seats=3, discount_code="SPRING25"
    )

    assert quoted.code == spring
    assert booking.amount_cents == quoted.amount_cents == 54000 - 17820
