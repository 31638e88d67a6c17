from datetime import timedelta
from http import HTTPStatus

import pytest
import responses
import time_machine
from django.core import mail as django_mail
from django.utils import timezone
from rest_framework.throttling import ScopedRateThrottle

from billing.models import Payment, Refund
from enrollments.idempotency import fingerprint, scoped_key
from enrollments.models import Enrollment, IdempotencyKey, Participant
from outbox.models import OutgoingMail
from tests.conftest import STRIPE_TEST_BASE, to_people
from tests.factories import EnrollmentFactory, PaymentFactory, SessionFactory
from tests.stripe_payloads import form

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_settings")]

URL = "/api/v1/enrollments/"


def body(target, **overrides):
    return {
        "session": target.id,
        "name": "Ada Lovelace",
        "email": "ada@example.org",
        "consent": True,
        **overrides,
    }


def test_a_paid_enrollment_holds_seats_and_returns_how_to_pay(api, stripe_http):
    session = SessionFactory.create(capacity=10, offering__price_cents=18000)

    response = api.post(URL, body(session, seats=2), format="json")

    assert response.status_code == HTTPStatus.CREATED
    data = response.json()
    assert set(data) == {
        "token",
        "reference",
        "status",
        "amount",
        "currency",
        "language",
        "hold_expires_at",
        "payment",
        "discount",
    }
    assert data["status"] == "pending_payment"
    assert data["language"] == "en"
    assert (data["amount"], data["currency"]) == ("360.00", "EUR")
    assert data["payment"]["client_secret"].startswith(data["payment"]["payment_intent"])
    assert len(data["token"]) >= 43  # 256 bits, URL-safe
    assert data["reference"].startswith("ENR-")
    enrollment = Enrollment.objects.get()
    assert enrollment.hold_expires_at == pytest.approx(
        timezone.now() + timedelta(minutes=30), abs=timedelta(seconds=10)
    )
    assert api.get(f"/api/v1/sessions/{session.id}/").json()["seats_left"] == 8
    sent = stripe_http.calls[0].request
    assert sent.headers["Idempotency-Key"] == f"enrollment-{enrollment.pk}-payment-1"
    params = form(sent)
    assert (params["amount"], params["currency"]) == ("36000", "eur")
    assert params["payment_method_types[0]"] == "card"
    assert params["metadata[enrollment_reference]"] == enrollment.reference
    assert "Ada" not in sent.body  # no personal data travels to Stripe


def test_a_free_session_confirms_at_once_without_stripe(api, stripe_http, mailoutbox):
    session = SessionFactory.create(offering__price_cents=0)

    response = api.post(URL, body(session), format="json")

    assert response.json()["status"] == "confirmed"
    assert response.json()["payment"] is None
    assert len(stripe_http.calls) == 0
    assert OutgoingMail.objects.filter(kind="enrollment_confirmation").count() == 1
    # One seat and no names given: the purchaser is the participant.
    assert list(Participant.objects.values_list("email", flat=True)) == ["ada@example.org"]


def test_a_full_session_answers_409_with_a_kind_message(api, stripe_http):
    session = SessionFactory.create(capacity=1)
    EnrollmentFactory.create(session=session)

    response = api.post(URL, body(session), format="json")

    assert response.status_code == HTTPStatus.CONFLICT
    assert response.json()["code"] == "session_full"
    assert "waitlist" in response.json()["message"]
    assert Enrollment.objects.count() == 1


def test_asking_for_more_seats_than_are_left_says_how_many_are(api, stripe_http):
    session = SessionFactory.create(capacity=3)
    EnrollmentFactory.create(session=session, seats=2)

    response = api.post(URL, body(session, seats=2), format="json")

    assert response.status_code == HTTPStatus.CONFLICT
    assert response.json()["code"] == "not_enough_seats"
    assert "Only 1 seat" in response.json()["message"]


def test_a_full_session_takes_a_waitlist_entry_when_asked(api, stripe_http):
    session = SessionFactory.create(capacity=1)
    EnrollmentFactory.create(session=session)

    response = api.post(URL, body(session, join_waitlist=True), format="json")

    assert response.status_code == HTTPStatus.CREATED
    assert response.json()["status"] == "waitlisted"
    assert response.json()["hold_expires_at"] is None
    assert len(stripe_http.calls) == 0
    assert OutgoingMail.objects.filter(kind="waitlist_joined").count() == 1


def test_no_waitlist_when_the_session_has_none(api, stripe_http):
    session = SessionFactory.create(capacity=1, waitlist_enabled=False)
    EnrollmentFactory.create(session=session)

    response = api.post(URL, body(session, join_waitlist=True), format="json")

    assert response.status_code == HTTPStatus.CONFLICT
    assert response.json()["code"] == "session_full"


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"status": "cancelled"}, "session_cancelled"),
        ({"enrollment_closes_at": timezone.now() - timedelta(minutes=1)}, "enrollment_closed"),
    ],
)
def test_closed_sessions_answer_409(api, stripe_http, changes, code):
    session = SessionFactory.create(**changes)

    response = api.post(URL, body(session), format="json")

    assert response.status_code == HTTPStatus.CONFLICT
    assert response.json()["code"] == code
    assert Enrollment.objects.count() == 0


def test_an_expired_hold_no_longer_blocks_a_seat(api, stripe_http):
    session = SessionFactory.create(capacity=1)
    EnrollmentFactory.create(
        session=session,
        status=Enrollment.Status.PENDING_PAYMENT,
        hold_expires_at=timezone.now() - timedelta(seconds=1),
    )

    response = api.post(URL, body(session), format="json")

    assert response.json()["status"] == "pending_payment"


def test_stripe_down_releases_the_hold_and_answers_503(api):
    session = SessionFactory.create(capacity=1)
    with responses.RequestsMock() as stub:
        stub.add(responses.POST, f"{STRIPE_TEST_BASE}/v1/payment_intents", status=500, json={})
        stub.add(responses.POST, f"{STRIPE_TEST_BASE}/v1/payment_intents", status=500, json={})
        stub.add(responses.POST, f"{STRIPE_TEST_BASE}/v1/payment_intents", status=500, json={})

        response = api.post(URL, body(session), format="json")

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response.json()["code"] == "payment_unavailable"
    assert Enrollment.objects.get().status == Enrollment.Status.EXPIRED
    assert api.get(f"/api/v1/sessions/{session.id}/").json()["seats_left"] == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"session": 999999}, "session"),
        ({"session": "first"}, "session"),
        ({"session": 10**30}, "session"),
        ({"session": 1.5}, "session"),
        ({"name": ""}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"email": "not-an-email"}, "email"),
        ({"seats": 0}, "seats"),
        ({"seats": "two"}, "seats"),
        ({"seats": 101}, "seats"),
        ({"consent": False}, "consent"),
        ({"consent": "maybe"}, "consent"),
        ({"participants": "everyone"}, "participants"),
        ({"participants": [{"name": "Bo"}]}, "participants.0.email"),
        (
            {"seats": 1, "participants": [{"name": "A", "email": "a@example.org"}] * 2},
            "participants",
        ),
        (
            {
                "seats": 2,
                "participants": [
                    {"name": "A", "email": "same@example.org"},
                    {"name": "B", "email": "SAME@example.org"},
                ],
            },
            "participants",
        ),
        ({"join_waitlist": "please"}, "join_waitlist"),
    ],
)
def test_invalid_fields_are_400_and_store_nothing(api, stripe_http, changes, field):
    session = SessionFactory.create()

    response = api.post(URL, body(session, **changes), format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["code"] == "invalid"
    assert field in response.json()["fields"]
    assert Enrollment.objects.count() == 0
    assert OutgoingMail.objects.count() == 0
    assert len(stripe_http.calls) == 0


def test_a_private_session_cannot_be_booked_through_the_public_api(api, stripe_http):
    session = SessionFactory.create(is_public=False, organization="St. Anna Clinic")

    response = api.post(URL, body(session), format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "session" in response.json()["fields"]


@pytest.mark.parametrize(
    ("payload", "content_type"),
    [(b"{not json", "application/json"), (b"[1, 2]", "application/json"), (b"a=b", "text/plain")],
)
def test_malformed_bodies_are_4xx_not_500(api, payload, content_type):
    response = api.generic("POST", URL, payload, content_type=content_type)

    assert HTTPStatus.BAD_REQUEST <= response.status_code < HTTPStatus.INTERNAL_SERVER_ERROR
    assert "code" in response.json()


def test_idempotency_key_replays_the_first_answer(api, stripe_http):
    session = SessionFactory.create(capacity=5)
    headers = {"HTTP_IDEMPOTENCY_KEY": "3f0c2d4e-booking"}

    first = api.post(URL, body(session), format="json", **headers)
    again = api.post(URL, body(session), format="json", **headers)

    assert first.status_code == again.status_code == HTTPStatus.CREATED
    assert again.json() == first.json()
    assert Enrollment.objects.count() == 1
    assert len(stripe_http.calls) == 1


def test_idempotency_key_with_another_body_is_409(api, stripe_http):
    session = SessionFactory.create(capacity=5)
    headers = {"HTTP_IDEMPOTENCY_KEY": "3f0c2d4e-booking"}
    api.post(URL, body(session), format="json", **headers)

    response = api.post(URL, body(session, seats=2), format="json", **headers)

    assert response.status_code == HTTPStatus.CONFLICT
    assert response.json()["code"] == "idempotency_key_reused"
    assert Enrollment.objects.count() == 1


def test_the_same_key_from_two_people_books_twice(api, stripe_http):
    session = SessionFactory.create(capacity=5)
    headers = {"HTTP_IDEMPOTENCY_KEY": "booking-1"}  # a key two front ends may both choose

    ada = api.post(URL, body(session), format="json", **headers)
    bo = api.post(URL, body(session, email="bo@example.org"), format="json", **headers)

    assert ada.status_code == bo.status_code == HTTPStatus.CREATED
    assert ada.json()["token"] != bo.json()["token"]  # neither sees the other's booking link
    assert Enrollment.objects.count() == 2


def test_a_key_whose_request_died_is_let_go_after_a_minute(api, stripe_http):
    session = SessionFactory.create(capacity=5)
    headers = {"HTTP_IDEMPOTENCY_KEY": "crashed-1"}
    with time_machine.travel(timezone.now() - timedelta(minutes=2), tick=False):
        # What a request leaves behind when its process is killed before it answers.
        IdempotencyKey.objects.create(
            key=scoped_key("crashed-1", "ada@example.org"), request_hash=fingerprint(body(session))
        )

    response = api.post(URL, body(session), format="json", **headers)

    assert response.status_code == HTTPStatus.CREATED
    assert IdempotencyKey.objects.get().status_code == 201


def test_a_request_still_running_is_answered_in_progress(api, stripe_http):
    session = SessionFactory.create(capacity=5)
    IdempotencyKey.objects.create(
        key=scoped_key("running-1", "ada@example.org"), request_hash=fingerprint(body(session))
    )

    response = api.post(URL, body(session), format="json", HTTP_IDEMPOTENCY_KEY="running-1")

    assert response.status_code == HTTPStatus.CONFLICT
    assert response.json()["code"] == "request_in_progress"


def test_a_first_answer_is_kept_for_a_day(api, stripe_http):
    session = SessionFactory.create(capacity=5)
    headers = {"HTTP_IDEMPOTENCY_KEY": "daily-1"}
    first = api.post(URL, body(session), format="json", **headers)

    with time_machine.travel(timezone.now() + timedelta(hours=23)):
        replayed = api.post(URL, body(session), format="json", **headers)
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        anew = api.post(URL, body(session), format="json", **headers)

    assert replayed.json() == first.json()
    assert anew.status_code == HTTPStatus.CREATED
    assert anew.json()["reference"] != first.json()["reference"]


def test_a_failed_request_can_be_retried_with_the_same_key(
    api, stripe_http, django_capture_on_commit_callbacks
):
    session = SessionFactory.create(capacity=1)
    taken = EnrollmentFactory.create(session=session)
    headers = {"HTTP_IDEMPOTENCY_KEY": "retry-me"}

    assert api.post(URL, body(session), format="json", **headers).status_code == 409
    with django_capture_on_commit_callbacks(execute=True):  # the seat is freed and committed
        taken.delete()

    assert api.post(URL, body(session), format="json", **headers).status_code == 201
    assert IdempotencyKey.objects.get().status_code == 201


def test_creating_is_throttled_per_client(api, stripe_http, monkeypatch):
    # DRF reads the rates once, at import; ENROLLMENT_THROTTLE_RATE sets them in production.
    rates = {**ScopedRateThrottle.THROTTLE_RATES, "enrollments": "2/minute"}
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", rates)
    session = SessionFactory.create(capacity=10)

    statuses = [api.post(URL, body(session), format="json").status_code for _ in range(3)]

    assert statuses == [201, 201, 429]
    last = api.post(URL, body(session), format="json")
    assert last.json()["code"] == "throttled"
    assert int(last["Retry-After"]) > 0


def test_the_booking_link_shows_the_booking(api):
    enrollment = EnrollmentFactory.create(seats=2, session__offering__price_cents=5000)
    PaymentFactory.create(enrollment=enrollment)

    response = api.get(f"{URL}{enrollment.token}/")

    assert response.status_code == HTTPStatus.OK
    data = response.json()
    assert data["reference"] == enrollment.reference
    assert data["status"] == "confirmed"
    assert data["amount"] == "100.00"
    assert data["session"]["id"] == enrollment.session_id
    assert data["refund"] is None
    assert data["payment"] is None
    assert data["cancellation"]["can_cancel"] is True
    assert data["cancellation"]["refund_amount"] == "100.00"
    assert "token" not in data


def test_an_unknown_booking_link_is_404(api):
    response = api.get(f"{URL}not-a-real-token/")

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json()["code"] == "not_found"


def test_cancelling_early_refunds_in_full_and_frees_the_seat(
    api, eager_tasks, django_capture_on_commit_callbacks
):
    session = SessionFactory.create(capacity=1, starts_at=timezone.now() + timedelta(days=30))
    enrollment = EnrollmentFactory.create(session=session)
    PaymentFactory.create(enrollment=enrollment, stripe_payment_intent_id="pi_test_cancel")
    with responses.RequestsMock() as stub:
        stub.add(
            responses.POST,
            f"{STRIPE_TEST_BASE}/v1/refunds",
            json={"id": "re_test_1", "object": "refund", "amount": 18000, "status": "succeeded"},
        )
        with django_capture_on_commit_callbacks(execute=True):
            response = api.post(f"{URL}{enrollment.token}/cancel/")
        sent = stub.calls[0].request

    assert response.status_code == HTTPStatus.OK
    assert response.json()["status"] == "refunded"
    assert response.json()["refund"] == {"amount": "180.00", "currency": "EUR", "status": "pending"}
    params = form(sent)
    assert (params["amount"], params["payment_intent"]) == ("18000", "pi_test_cancel")
    assert sent.headers["Idempotency-Key"] == f"refund-{Refund.objects.get().pk}"
    later = api.get(f"{URL}{enrollment.token}/").json()
    assert later["refund"]["status"] == "succeeded"
    assert later["cancellation"]["can_cancel"] is False
    assert api.get(f"/api/v1/sessions/{session.id}/").json()["seats_left"] == 1
    assert [m.to for m in to_people(django_mail.outbox)] == [[enrollment.email]]  # the cancellation
    assert OutgoingMail.objects.filter(kind="enrollment_cancelled").count() == 1


def test_cancelling_after_the_deadline_keeps_the_payment(api):
    session = SessionFactory.create(starts_at=timezone.now() + timedelta(days=3))
    enrollment = EnrollmentFactory.create(session=session)
    PaymentFactory.create(enrollment=enrollment)
    before = api.get(f"{URL}{enrollment.token}/").json()["cancellation"]

    response = api.post(f"{URL}{enrollment.token}/cancel/")

    assert before["refund_amount"] == "0.00"
    assert before["can_cancel"] is True
    assert response.json()["status"] == "cancelled"
    assert response.json()["refund"] is None
    assert Refund.objects.count() == 0


def test_cancelling_twice_is_409(api):
    enrollment = EnrollmentFactory.create(status=Enrollment.Status.CANCELLED)

    response = api.post(f"{URL}{enrollment.token}/cancel/")

    assert response.status_code == HTTPStatus.CONFLICT
    assert response.json()["code"] == "not_cancellable"


def test_the_roster_can_be_replaced_and_new_people_are_told(api):
    enrollment = EnrollmentFactory.create(seats=3)
    Participant.objects.create(enrollment=enrollment, name="Old", email="old@example.org")
    Participant.objects.create(enrollment=enrollment, name="Stays", email="stays@example.org")

    response = api.put(
        f"{URL}{enrollment.token}/participants/",
        {
            "participants": [
                {"name": "Stays Renamed", "email": "STAYS@example.org"},
                {"name": "New", "email": "new@example.org"},
            ]
        },
        format="json",
    )

    assert response.status_code == HTTPStatus.OK
    assert sorted(p["name"] for p in response.json()["participants"]) == ["New", "Stays Renamed"]
    assert list(
        OutgoingMail.objects.filter(kind="participant_confirmation").values_list("to", flat=True)
    ) == ["new@example.org"]


def test_the_roster_cannot_name_more_people_than_seats(api):
    enrollment = EnrollmentFactory.create(seats=1)
    people = [{"name": f"P{i}", "email": f"p{i}@example.org"} for i in range(2)]

    response = api.put(
        f"{URL}{enrollment.token}/participants/", {"participants": people}, format="json"
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "participants" in response.json()["fields"]


@pytest.mark.parametrize(
    ("hours_before", "status"), [(25, HTTPStatus.OK), (23, HTTPStatus.CONFLICT)]
)
def test_the_roster_closes_the_set_hours_before_the_start(api, settings, hours_before, status):
    settings.ROSTER_CLOSES_HOURS_BEFORE = 24
    session = SessionFactory.create(starts_at=timezone.now() + timedelta(hours=hours_before))
    enrollment = EnrollmentFactory.create(session=session, seats=2)

    response = api.put(
        f"{URL}{enrollment.token}/participants/",
        {"participants": [{"name": "Ana", "email": "ana@example.org"}]},
        format="json",
    )

    assert response.status_code == status


def test_someone_taken_off_the_roster_is_told_with_a_cancelling_calendar_entry(api):
    enrollment = EnrollmentFactory.create(seats=2, name="Jonas", email="jonas@example.org")
    ana = {"name": "Ana", "email": "ana@example.org"}
    bo = {"name": "Bo", "email": "bo@example.org"}
    api.put(f"{URL}{enrollment.token}/participants/", {"participants": [ana, bo]}, format="json")

    api.put(f"{URL}{enrollment.token}/participants/", {"participants": [ana]}, format="json")

    told = OutgoingMail.objects.get(kind="participant_removed")
    assert told.to == "bo@example.org"
    assert "Jonas has changed who attends" in told.body_text
    [calendar] = told.attachments
    assert calendar["filename"] == "session.ics"
    assert "METHOD:CANCEL" in calendar["content"]
    assert "STATUS:CANCELLED" in calendar["content"]


def test_the_roster_is_closed_once_the_session_started(api):
    session = SessionFactory.create(
        starts_at=timezone.now() - timedelta(minutes=5), ends_at=timezone.now() + timedelta(hours=1)
    )
    enrollment = EnrollmentFactory.create(session=session)

    response = api.put(
        f"{URL}{enrollment.token}/participants/", {"participants": []}, format="json"
    )

    assert response.status_code == HTTPStatus.CONFLICT
    assert response.json()["code"] == "roster_closed"


def test_paying_an_offered_seat_creates_a_payment(api, stripe_http):
    enrollment = EnrollmentFactory.create(status=Enrollment.Status.OFFERED)

    response = api.post(f"{URL}{enrollment.token}/pay/")

    assert response.status_code == HTTPStatus.OK
    assert set(response.json()) == {"client_secret", "payment_intent"}
    assert Payment.objects.get().payable == enrollment
    again = api.post(f"{URL}{enrollment.token}/pay/")
    assert again.json() == response.json()  # the open payment is reused


def test_paying_again_after_a_failed_attempt_is_a_new_attempt(api, stripe_http):
    enrollment = EnrollmentFactory.create(status=Enrollment.Status.OFFERED)
    PaymentFactory.create(enrollment=enrollment, attempt=1, status=Payment.Status.FAILED)

    response = api.post(f"{URL}{enrollment.token}/pay/")

    assert response.status_code == HTTPStatus.OK
    assert Payment.objects.get(status=Payment.Status.PENDING).attempt == 2
    key = stripe_http.calls[0].request.headers["Idempotency-Key"]
    assert key == f"enrollment-{enrollment.pk}-payment-2"
