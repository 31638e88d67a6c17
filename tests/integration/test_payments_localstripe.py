"""The whole payment path against real parts: the official stripe library and localstripe
(a Stripe stand-in that signs and delivers webhooks), a live server, a Celery worker on
Redis and an SMTP server on loopback."""

from datetime import timedelta
from http import HTTPStatus

import pytest
import requests
import stripe
from django.utils import timezone

from billing.models import Payment, StripeEvent
from enrollments.models import Enrollment
from enrollments.services import holds
from tests.conftest import to_people
from tests.factories import SessionFactory
from tests.stand_ins import wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture
def booking(live_server, localstripe, celery_worker, smtp_sink):
    localstripe.deliver_webhooks_to(f"{live_server.url}/api/v1/billing/stripe/webhook/")

    def book(**extra):
        session = SessionFactory.create(capacity=5, offering__price_cents=18000)
        response = requests.post(
            f"{live_server.url}/api/v1/enrollments/",
            json={
                "session": session.id,
                "name": "Ada Lovelace",
                "email": "ada@example.org",
                "consent": True,
                **extra,
            },
            timeout=30,
        )
        assert response.status_code == HTTPStatus.CREATED, response.text
        return response.json()

    return book


def test_a_card_payment_confirms_the_booking_and_the_emails_go_out(booking, localstripe, smtp_sink):
    created = booking(
        seats=2,
        participants=[
            {"name": "Ada Lovelace", "email": "ada@example.org"},
            {"name": "Bo Hansen", "email": "bo@example.org"},
        ],
    )
    intent_id = created["payment"]["payment_intent"]
    client = localstripe.client()

    # What Stripe Elements does in the person's browser.
    client.v1.payment_intents.update(intent_id, params={"payment_method": "pm_card_visa"})
    assert client.v1.payment_intents.confirm(intent_id).status == "succeeded"

    wait_until(lambda: Enrollment.objects.get().status == Enrollment.Status.CONFIRMED)
    wait_until(lambda: len(smtp_sink.messages) == 3)  # the two of them, and the practice
    people = to_people(smtp_sink.messages)
    assert sorted(m["To"] for m in people) == ["ada@example.org", "bo@example.org"]
    assert all(
        any(part.get_filename() == "session.ics" for part in m.iter_attachments()) for m in people
    )
    event = StripeEvent.objects.get(type="payment_intent.succeeded")
    assert event.result == "confirmed"
    assert Payment.objects.get().status == Payment.Status.SUCCEEDED


def test_a_declined_card_leaves_the_hold_pending_and_then_expired(booking, localstripe):
    created = booking()
    intent_id = created["payment"]["payment_intent"]
    client = localstripe.client()
    client.v1.payment_intents.update(
        intent_id, params={"payment_method": "pm_card_chargeCustomerFail"}
    )

    with pytest.raises(stripe.CardError):
        client.v1.payment_intents.confirm(intent_id)

    wait_until(lambda: StripeEvent.objects.filter(type="payment_intent.payment_failed").exists())
    wait_until(lambda: StripeEvent.objects.get().processed_at is not None)
    enrollment = Enrollment.objects.get()
    assert enrollment.status == Enrollment.Status.PENDING_PAYMENT
    assert Payment.objects.get().last_error == "Your card was declined."

    holds.holds_expire(now=timezone.now() + timedelta(minutes=31))

    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.EXPIRED


def card_from_stripe_js(localstripe, number):
    """What Stripe.js hands our page for a card typed into its form: the card's id."""
    token = requests.post(
        f"{localstripe.base}/v1/tokens",
        data={
            "key": localstripe.publishable_key,
            "card[number]": number,
            "card[exp_month]": "12",
            "card[exp_year]": "2034",
            "card[cvc]": "123",
        },
        timeout=10,
    ).json()
    return token["card"]["id"]


def pay_on_the_page(client, token, card):
    """As pay.js does, once Stripe.js has the card: its id, posted to the card page, whose
    address holds no secret link (Stripe.js sends the page's address to Stripe)."""
    page = client.post(f"/enrollments/{token}/pay/", follow=True)
    [(card_page, _status)] = page.redirect_chain
    assert token not in card_page
    assert 'id="card-element"' in page.content.decode()
    return client.post(card_page, {"card": card}, content_type="application/json")


def test_a_card_that_asks_its_bank_is_handed_back_to_stripe_js(booking, client, localstripe):
    created = booking()
    token = Enrollment.objects.get(reference=created["reference"]).token

    answer = pay_on_the_page(client, token, card_from_stripe_js(localstripe, "4000002760003184"))

    assert answer.status_code == HTTPStatus.OK
    body = answer.json()
    assert body["status"] == "requires_action"
    assert body["client_secret"].startswith(created["payment"]["payment_intent"] + "_secret_")
    assert Enrollment.objects.get(reference=created["reference"]).status == "pending_payment"


@pytest.mark.parametrize("card", ["4242424242424242", "card_x' OR 1=1", ""])
def test_only_a_card_id_from_stripe_js_is_taken(booking, client, localstripe, card):
    created = booking()
    token = Enrollment.objects.get(reference=created["reference"]).token

    answer = pay_on_the_page(client, token, card)

    assert answer.status_code == HTTPStatus.BAD_REQUEST
    assert answer.json()["code"] == "invalid"
