"""Two workers sending the same webhooks at once, on PostgreSQL: each event reaches each
endpoint once, and a real Celery worker delivers what a change owes after its commit."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, transaction

from integrations import webhooks
from integrations.models import WebhookDelivery, WebhookEndpoint
from tests.integrations.receiver import receiver
from tests.stand_ins import wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

EVENTS = 30
WORKERS = 3


@pytest.fixture(autouse=True)
def _loopback_allowed(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = True


def test_racing_sweeps_deliver_each_event_once_per_endpoint():
    with receiver() as first, receiver() as second:
        for hooks in (first, second):
            webhooks.webhook_endpoint_create(url=hooks.url, events=["invoice.paid"])
        with transaction.atomic():
            for n in range(EVENTS):
                webhooks.webhook_event("invoice.paid", {"invoice": f"2026-{n:05d}"})
        start = threading.Barrier(WORKERS)

        def sweep() -> int:
            try:
                start.wait(timeout=10)
                return webhooks.webhooks_deliver_due().sent
            finally:
                connection.close()

        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            sent = [future.result() for future in [pool.submit(sweep) for _ in range(WORKERS)]]

    assert sum(sent) == 2 * EVENTS
    for hooks in (first, second):
        ids = [request.headers["webhook-id"] for request in hooks.received]
        assert len(ids) == EVENTS
        assert len(set(ids)) == EVENTS  # none twice
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"delivered"}


def test_a_worker_delivers_what_a_change_owes_once_it_commits(celery_worker):
    with receiver() as hooks:
        WebhookEndpoint.objects.create(
            url=hooks.url, events=["invoice.paid"], secret=webhooks.new_secret()
        )
        with transaction.atomic():
            webhooks.webhook_event("invoice.paid", {"invoice": "2026-00001"})

        wait_until(lambda: len(hooks.received) == 1, 20)

    assert WebhookDelivery.objects.get().status == "delivered"
