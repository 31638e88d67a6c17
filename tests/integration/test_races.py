"""Requests that arrive together: no race answers with a 500 (DESIGN.md invariant 5)."""

import threading
from http import HTTPStatus
from typing import Any

import pytest
import requests

from billing.models import Payment
from billing.services import payments
from enrollments.models import Enrollment
from tests.factories import EnrollmentFactory

pytestmark = [pytest.mark.postgres]


class BothAtStripe:
    """Stripe's client, holding each PaymentIntent request until both have come: the two
    requests have then both read that there is no payment yet, as a double click does."""

    def __init__(self, client: Any, parties: int) -> None:
        self.client = client
        self.barrier = threading.Barrier(parties, timeout=20)

    @property
    def v1(self) -> Any:
        return self

    @property
    def payment_intents(self) -> Any:
        return self

    def create(self, **kwargs: Any) -> Any:
        self.barrier.wait()
        return self.client.v1.payment_intents.create(**kwargs)


@pytest.mark.django_db(transaction=True)
def test_two_pays_at_once_give_one_payment_and_no_error(live_server, localstripe, monkeypatch):
    offered = EnrollmentFactory.create(status=Enrollment.Status.OFFERED)
    held_at_stripe = BothAtStripe(localstripe.client(), parties=2)
    monkeypatch.setattr(payments, "stripe_client", lambda: held_at_stripe)
    answers: list[requests.Response] = []

    def pay() -> None:
        answers.append(
            requests.post(f"{live_server.url}/api/v1/enrollments/{offered.token}/pay/", timeout=30)
        )

    clicks = [threading.Thread(target=pay) for _ in range(2)]
    for click in clicks:
        click.start()
    for click in clicks:
        click.join()

    assert [answer.status_code for answer in answers] == [HTTPStatus.OK, HTTPStatus.OK]
    payment = Payment.objects.get()  # one attempt, however many asked
    assert (payment.attempt, payment.status) == (1, Payment.Status.PENDING)
    assert {answer.json()["payment_intent"] for answer in answers} == {
        payment.stripe_payment_intent_id
    }
