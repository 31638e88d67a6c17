"""Typed domain events (config/events.py): published inside the change, answered in order."""

from dataclasses import dataclass

import pytest
from django.db import transaction

from config import events
from config.events import Event
from workshops.models import Topic


@dataclass(frozen=True)
class SomethingHappened(Event):
    what: str


@dataclass(frozen=True)
class SomethingElse(Event):
    pass


@pytest.fixture
def subscribed():
    added = []

    def subscribe(event_type, subscriber):
        events.subscribe(event_type, subscriber)
        added.append((event_type, subscriber))

    yield subscribe
    for event_type, subscriber in added:
        events.unsubscribe(event_type, subscriber)


@pytest.mark.django_db
def test_subscribers_answer_in_the_order_they_subscribed(subscribed):
    subscribed(SomethingHappened, lambda event: f"first heard {event.what}")
    subscribed(SomethingHappened, lambda event: None)  # not concerned: says nothing
    subscribed(SomethingHappened, lambda event: f"second heard {event.what}")
    subscribed(SomethingElse, lambda event: "not asked")

    with transaction.atomic():
        answers = events.publish(SomethingHappened(what="a payment"))

    assert answers == ["first heard a payment", "second heard a payment"]


@pytest.mark.django_db
def test_subscribing_twice_calls_once(subscribed):
    heard: list[Event] = []
    subscribed(SomethingHappened, heard.append)
    subscribed(SomethingHappened, heard.append)

    with transaction.atomic():
        events.publish(SomethingHappened(what="once"))

    assert heard == [SomethingHappened(what="once")]


@pytest.mark.django_db(transaction=True)  # a plain django_db test is one transaction itself
def test_an_event_is_published_only_inside_the_change_it_reports():
    with pytest.raises(RuntimeError, match="outside the change's transaction"):
        events.publish(SomethingHappened(what="too late"))


@pytest.mark.django_db(transaction=True)
def test_a_subscriber_that_fails_rolls_the_whole_change_back(subscribed):
    def refuse(event: SomethingHappened) -> None:
        raise ValueError("no")

    subscribed(SomethingHappened, refuse)

    def change() -> None:
        with transaction.atomic():
            Topic.objects.create(name="Burnout", slug="burnout")
            events.publish(SomethingHappened(what="a topic"))

    with pytest.raises(ValueError, match="no"):
        change()

    assert not Topic.objects.exists()
