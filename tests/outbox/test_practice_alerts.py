"""Practice alerts (PRACTICE_ALERTS): told at once, in a daily digest, or not at all."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from billing.models import StripeEvent
from billing.services.stripe_events import payments_reconcile
from outbox.models import OutgoingMail, PracticeAlert
from outbox.services import alert_practice
from outbox.tasks import send_practice_digest

pytestmark = pytest.mark.django_db


def to_the_practice() -> list[OutgoingMail]:
    return list(OutgoingMail.objects.filter(to=settings.PRACTICE_NOTIFY_EMAIL).order_by("pk"))


def test_immediately_each_alert_is_an_email(settings):
    settings.PRACTICE_ALERTS = "immediate"

    alert = alert_practice(
        kind="refund_failed", text="A refund of 95.00 EUR for ENR-7KQ2M9 failed."
    )

    [mail] = to_the_practice()
    assert mail.kind == "practice_alert"
    assert "ENR-7KQ2M9" in mail.subject
    assert "ENR-7KQ2M9" in mail.body_text
    assert alert is not None
    alert.refresh_from_db()
    assert alert.told_at is not None


def test_in_a_digest_the_days_alerts_are_one_email(settings):
    settings.PRACTICE_ALERTS = "digest"
    alert_practice(kind="refund_failed", text="A refund for ENR-AAAA22 failed.")
    alert_practice(kind="email_gave_up", text="An email (number 7) could not be delivered.")
    assert to_the_practice() == []

    assert send_practice_digest() == 2
    assert send_practice_digest() == 0  # once told, not again

    [digest] = to_the_practice()
    assert digest.kind == "practice_digest"
    assert "2 things to look at" in digest.subject
    assert "ENR-AAAA22" in digest.body_text
    assert "number 7" in digest.body_text
    assert not PracticeAlert.objects.filter(told_at__isnull=True).exists()


def test_off_tells_nothing_and_keeps_nothing(settings):
    settings.PRACTICE_ALERTS = "off"

    assert alert_practice(kind="refund_failed", text="A refund failed.") is None

    assert to_the_practice() == []
    assert not PracticeAlert.objects.exists()


def test_once_means_one_alert_per_record_and_kind(settings):
    settings.PRACTICE_ALERTS = "immediate"
    event = StripeEvent.objects.create(stripe_id="evt_1", type="charge.refunded", payload={})

    for _ in range(3):
        alert_practice(kind="stripe_event_not_applied", text="Stuck.", related=event, once=True)

    assert PracticeAlert.objects.count() == 1
    assert len(to_the_practice()) == 1


def test_a_stripe_event_that_cannot_be_applied_for_an_hour_is_told_once(
    settings, stripe_settings, monkeypatch
):
    settings.PRACTICE_ALERTS = "immediate"
    from billing import webhooks

    def cannot(obj):
        raise RuntimeError("could not list refunds; the event will be retried")

    monkeypatch.setitem(webhooks.HANDLERS, "charge.refunded", cannot)
    event = StripeEvent.objects.create(
        stripe_id="evt_stuck", type="charge.refunded", payload={"data": {"object": {}}}
    )

    with time_machine.travel(timezone.now() + timedelta(minutes=10)):
        payments_reconcile()  # too early to trouble the practice
        assert not PracticeAlert.objects.exists()
    for hours in (2, 3):
        with time_machine.travel(timezone.now() + timedelta(hours=hours)):
            payments_reconcile()

    [alert] = PracticeAlert.objects.all()
    assert (alert.kind, alert.related) == ("stripe_event_not_applied", event)
    assert "evt_stuck" in alert.text
    event.refresh_from_db()
    assert event.processed_at is None  # kept, and tried again every hour
