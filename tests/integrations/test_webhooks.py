"""Outgoing webhooks to a real receiver on loopback: signed as Standard Webhooks, retried on
the schedule, disabled on 410 or five days of failures, never to a private address unless
allowed, and never carrying what anyone wrote."""

import json
import socket
from datetime import timedelta

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone
from standardwebhooks import Webhook

from config import events
from enrollments.events import BookingConfirmed
from enrollments.services.by_hand import booking_by_hand
from inquiries.models import Inquiry
from inquiries.services import inquiry_submit
from integrations import webhooks
from integrations.models import WebhookDelivery, WebhookEndpoint
from outbox.models import PracticeAlert
from surveys.services import survey_submit
from tests.factories import SessionFactory, SurveyInvitationFactory
from tests.integrations.receiver import receiver

pytestmark = pytest.mark.django_db

Event = WebhookEndpoint.Event
MESSAGE = "Since the panic attacks started I have been afraid to see clients."


@pytest.fixture(autouse=True)
def _loopback_allowed(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = True


def endpoint(url, events=tuple(Event.values)):
    return webhooks.webhook_endpoint_create(url=url, events=list(events))


def owe(event_type=Event.ENROLLMENT_CONFIRMED, data=None):
    with transaction.atomic():
        webhooks.webhook_event(event_type, data or {"enrollment": "ENR-TEST01", "session": 1})


def test_the_signature_matches_the_specifications_published_vector():
    # Standard Webhooks' own example: secret, id, timestamp and body give this signature.
    signed = webhooks.signature(
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        1614265330,
        '{"test": 2432232314}',
    )

    assert signed == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_a_delivery_arrives_signed_and_verifies_with_the_standardwebhooks_package():
    with receiver() as hooks:
        target = endpoint(hooks.url, [Event.ENROLLMENT_CONFIRMED])
        owe()

        sweep = webhooks.webhooks_deliver_due()

    assert (sweep.sent, sweep.delivered) == (1, 1)
    [request] = hooks.received
    assert request.path == "/hooks/regard"
    payload = Webhook(target.secret).verify(request.body, request.headers)
    assert payload["type"] == "enrollment.confirmed"
    assert payload["data"] == {"enrollment": "ENR-TEST01", "session": 1}
    assert set(payload) == {"type", "timestamp", "data"}
    assert request.headers["webhook-id"].startswith("msg_")
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 200)
    assert delivery.tries.get().status_code == 200


def test_one_sweep_keeps_a_connection_open_to_a_receiver_that_allows_it():
    with receiver(keep_alive=True) as hooks:
        target = endpoint(hooks.url)
        for _ in range(5):
            owe()
        webhooks.webhooks_deliver_due()

    assert len(hooks.received) == 5
    assert len({request.client_port for request in hooks.received}) == 1
    for request in hooks.received:
        Webhook(target.secret).verify(request.body, request.headers)


def test_the_connection_sends_without_waiting_for_acknowledgements():
    # http.client writes headers and body apart; Nagle's algorithm would hold the body back
    # until the receiver's delayed ACK (some 40 ms a delivery on loopback).
    sender = webhooks.Sender()
    with receiver(keep_alive=True) as hooks:
        answer = sender.post(hooks.url, "{}", {"Content-Type": "application/json"})
        [connection] = sender._connections.values()
        nodelay = connection.sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        sender.close()

    assert answer.delivered
    assert nodelay


def test_a_wrong_secret_does_not_verify():
    with receiver() as hooks:
        endpoint(hooks.url)
        owe()
        webhooks.webhooks_deliver_due()

    other = webhooks.new_secret()
    with pytest.raises(Exception, match="signature"):
        Webhook(other).verify(hooks.received[0].body, hooks.received[0].headers)


def test_only_endpoints_that_asked_for_the_event_are_owed_it():
    with receiver() as hooks:
        endpoint(hooks.url, [Event.INVOICE_PAID])
        owe(Event.ENROLLMENT_CONFIRMED)

        webhooks.webhooks_deliver_due()

    assert hooks.received == []
    assert not WebhookDelivery.objects.exists()


def test_an_event_nobody_listens_to_costs_one_query_and_owes_nothing(django_assert_num_queries):
    WebhookEndpoint.objects.create(
        url="https://hooks.example.org/regard",
        events=[Event.INVOICE_PAID],
        secret=webhooks.new_secret(),
    )
    booking = booking_by_hand(
        session_id=SessionFactory.create().pk,
        name="Ada Booker",
        email="ada@example.org",
        complimentary=True,
    )

    with django_assert_num_queries(1):  # which endpoints listen; the booking is not looked up
        events.publish(BookingConfirmed(enrollment_id=booking.pk))

    assert not WebhookDelivery.objects.exists()


def test_a_failure_is_retried_on_the_schedule_then_given_up():
    start = timezone.now()
    with receiver(statuses=[500]) as hooks, time_machine.travel(start, tick=False) as clock:
        endpoint(hooks.url)
        owe()
        webhooks.webhooks_deliver_due()
        delivery = WebhookDelivery.objects.get()
        for wait in webhooks.RETRY_AFTER:
            clock.shift(wait - timedelta(seconds=1))
            assert webhooks.webhooks_deliver_due().sent == 0  # not yet
            clock.shift(timedelta(seconds=1))
            assert webhooks.webhooks_deliver_due().sent == 1

    delivery.refresh_from_db()
    assert len(hooks.received) == 1 + len(webhooks.RETRY_AFTER)
    assert (delivery.status, delivery.attempts) == ("failed", 8)
    assert delivery.tries.count() == 8
    assert {r.headers["webhook-id"] for r in hooks.received} == {delivery.message.msg_id}


def test_a_timeout_is_a_failure_retried_after_five_seconds(monkeypatch):
    monkeypatch.setattr(webhooks, "TIMEOUT_SECONDS", 0.3)
    with receiver(delay=1.0) as hooks:
        endpoint(hooks.url)
        owe()
        webhooks.webhooks_deliver_due()

    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending"
    assert "no answer within" in delivery.last_error
    assert delivery.next_attempt_at - delivery.tries.get().at == timedelta(seconds=5)


def test_a_redirect_is_not_followed_and_counts_as_a_failure():
    with receiver() as elsewhere, receiver(statuses=[302], location="") as hooks:
        hooks.location = elsewhere.url
        endpoint(hooks.url)
        owe()
        webhooks.webhooks_deliver_due()

    assert len(hooks.received) == 1
    assert elsewhere.received == []
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.last_status_code) == ("pending", 302)


def test_a_410_turns_the_endpoint_off_and_tells_the_practice():
    with receiver(statuses=[410]) as hooks:
        target = endpoint(hooks.url)
        owe()
        webhooks.webhooks_deliver_due()
        owe()
        webhooks.webhooks_deliver_due()

    target.refresh_from_db()
    assert not target.active
    assert "410" in target.disabled_reason
    assert len(hooks.received) == 1  # nothing more once it is off
    assert PracticeAlert.objects.get(kind="webhook_disabled")


def test_five_days_of_failures_turn_the_endpoint_off():
    start = timezone.now()
    with receiver(statuses=[503]) as hooks, time_machine.travel(start, tick=False) as clock:
        target = endpoint(hooks.url)
        owe()
        webhooks.webhooks_deliver_due()
        clock.shift(timedelta(days=4, hours=23))
        owe()
        webhooks.webhooks_deliver_due()
        target.refresh_from_db()
        assert target.active  # not five days yet
        clock.shift(timedelta(hours=2))
        owe()
        webhooks.webhooks_deliver_due()

    target.refresh_from_db()
    assert not target.active
    assert "5 days" in target.disabled_reason


def test_a_success_ends_a_run_of_failures():
    with receiver(statuses=[500, 200]) as hooks, time_machine.travel(timezone.now()) as clock:
        target = endpoint(hooks.url)
        owe()
        webhooks.webhooks_deliver_due()
        target.refresh_from_db()
        assert target.failing_since is not None
        clock.shift(timedelta(seconds=6))
        webhooks.webhooks_deliver_due()

    target.refresh_from_db()
    assert target.failing_since is None


@pytest.mark.parametrize(
    "url",
    [
        "http://example.org/hook",  # not https
        "https://127.0.0.1/hook",
        "https://localhost/hook",
        "https://10.1.2.3/hook",
        "https://192.168.0.10/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hook",
        "https://[fe80::1]/hook",
        "https://0.0.0.0/hook",
    ],
)
def test_a_private_or_plain_http_target_is_refused(settings, url):
    settings.WEBHOOKS_ALLOW_PRIVATE = False

    with pytest.raises(webhooks.AddressRefused):
        webhooks.checked_target(url)
    assert "url" in webhooks.endpoint_errors(url, [Event.INVOICE_PAID])


def test_a_delivery_to_an_address_that_became_private_is_refused_and_never_sent(settings):
    with receiver() as hooks:
        endpoint(hooks.url)
        owe()
        settings.WEBHOOKS_ALLOW_PRIVATE = False  # as if its name now led to loopback
        webhooks.webhooks_deliver_due()

    assert hooks.received == []
    assert "webhooks go to https" in WebhookDelivery.objects.get().last_error.lower()


def test_no_body_carries_what_anyone_wrote_or_who_they_are():
    with receiver() as hooks:
        endpoint(hooks.url)
        inquiry_submit(
            kind=Inquiry.Kind.PERSONAL_GUIDANCE,
            name="Noor Visser",
            email="noor@example.org",
            message=MESSAGE,
        )
        booking_by_hand(
            session_id=SessionFactory.create().pk,
            name="Bea Booker",
            email="bea@example.org",
            complimentary=True,
        )
        invitation = SurveyInvitationFactory.create()
        survey_submit(
            invitation_id=invitation.pk,
            answers={"overall": 2, "felt_heard": 1, "recommend": 3, "most_valuable": MESSAGE},
        )
        webhooks.webhooks_deliver_due()

    types = [json.loads(r.body)["type"] for r in hooks.received]
    assert {"inquiry.received", "enrollment.confirmed", "survey.submitted"} <= set(types)
    for request in hooks.received:
        for secret in (MESSAGE, "Noor", "noor@example.org", "Bea Booker", "bea@example.org"):
            assert secret not in request.body


def test_resending_from_the_log_sends_it_again_with_the_same_id():
    with receiver() as hooks:
        endpoint(hooks.url)
        owe()
        webhooks.webhooks_deliver_due()
        delivery = WebhookDelivery.objects.get()
        webhooks.webhook_resend(delivery_id=delivery.pk)
        webhooks.webhooks_deliver_due()

    assert len(hooks.received) == 2
    assert hooks.received[0].headers["webhook-id"] == hooks.received[1].headers["webhook-id"]


def test_the_admin_refuses_a_private_address_and_makes_a_secret(admin_client, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    refused = admin_client.post(
        "/admin/integrations/webhookendpoint/add/",
        {"url": "https://127.0.0.1/hook", "events": ["invoice.paid"]},
    )
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    made = admin_client.post(
        "/admin/integrations/webhookendpoint/add/",
        {"url": "http://127.0.0.1:9/hook", "description": "CRM", "events": ["invoice.paid"]},
    )

    assert refused.status_code == 200
    assert "private, loopback or link-local" in refused.content.decode()
    assert made.status_code == 302
    target = WebhookEndpoint.objects.get()
    assert target.secret.startswith("whsec_")
    assert target.events == ["invoice.paid"]
