"""Typed domain events: how a lower app tells higher ones what happened, without importing them.

An app declares its events as frozen dataclasses (`billing/events.py`, `enrollments/events.py`)
and publishes them inside the transaction of the change they report. A higher app subscribes
in its `AppConfig.ready()`; each subscriber calls one service of its own app and nothing
else. Subscribers run in the order they subscribed, inside the publisher's transaction, so
an invariant that needs both changes together keeps them together: a subscriber that raises
rolls the whole change back.
"""

from collections.abc import Callable
from typing import Any, TypeVar

from django.db import transaction


class Event:
    """The base of every domain event; each kind is a frozen dataclass deriving from it."""


E = TypeVar("E", bound=Event)

_subscribers: dict[type[Event], list[Callable[[Any], object]]] = {}


def subscribe(event_type: type[E], subscriber: Callable[[E], object]) -> None:
    """Call `subscriber` with every `event_type` published from now on; once, however often
    it is subscribed (`ready()` may run more than once in tests)."""
    subscribers = _subscribers.setdefault(event_type, [])
    if subscriber not in subscribers:
        subscribers.append(subscriber)


def unsubscribe(event_type: type[E], subscriber: Callable[[E], object]) -> None:
    if subscriber in _subscribers.get(event_type, []):
        _subscribers[event_type].remove(subscriber)


def publish(event: Event) -> list[object]:
    """Run every subscriber of the event's exact type; returns what they answered (not None).

    Only inside a transaction: an event is part of the change it reports, and subscribers
    write in that same transaction.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(f"{type(event).__name__} is published outside the change's transaction")
    answers = []
    for subscriber in list(_subscribers.get(type(event), [])):
        answer = subscriber(event)
        if answer is not None:
            answers.append(answer)
    return answers
