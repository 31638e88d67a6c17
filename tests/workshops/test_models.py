from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from tests.factories import OfferingFactory, SessionFactory
from workshops.models import Session

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "changes",
    [
        {"ends_at": timezone.now() + timedelta(days=13)},  # before it starts
        {"capacity": 0},
        {"is_public": False, "organization": ""},
        {"enrollment_closes_at": timezone.now() + timedelta(days=15)},  # after it starts
    ],
)
def test_database_refuses_impossible_sessions(changes):
    session = SessionFactory.create(starts_at=timezone.now() + timedelta(days=14))
    for field, value in changes.items():
        setattr(session, field, value)

    with pytest.raises(IntegrityError), transaction.atomic():
        session.save()


@pytest.mark.parametrize(
    ("field", "value"), [("price_cents", -1), ("duration_minutes", 0), ("ce_hours", -1)]
)
def test_database_refuses_impossible_offerings(field, value):
    offering = OfferingFactory.create()
    setattr(offering, field, value)

    with pytest.raises(IntegrityError), transaction.atomic():
        offering.save()


def test_session_validation_explains_each_mistake():
    session = Session(
        offering=OfferingFactory.create(),
        starts_at=timezone.now(),
        ends_at=timezone.now() - timedelta(hours=1),
        timezone="Mars/Olympus_Mons",
        capacity=5,
        is_public=False,
    )

    with pytest.raises(ValidationError) as error:
        session.full_clean()

    assert set(error.value.message_dict) == {"ends_at", "timezone", "organization"}


def test_session_price_falls_back_to_the_offering():
    session = SessionFactory.create(offering=OfferingFactory.create(price_cents=18000))

    assert session.price_cents == 18000
    session.price_override_cents = 0
    assert session.price_cents == 0
