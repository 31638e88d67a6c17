"""Writes to the catalog: what the admin makes in bulk, and private sessions."""

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction

from workshops.models import Offering, Session


def offerings_publish(*, offering_ids: Iterable[int], published: bool) -> list[Offering]:
    """Publish or unpublish offerings; returns those that changed.

    Each is saved on its own, not updated in bulk, so that its history records the change
    and the catalog moves on (its signals).
    """
    changed = []
    with transaction.atomic():
        offerings = Offering.objects.select_for_update().filter(pk__in=list(offering_ids))
        for offering in offerings.exclude(is_published=published):
            offering.is_published = published
            offering.save(update_fields=["is_published", "updated_at"])
            changed.append(offering)
    return changed


def private_session_create(
    *,
    offering: Offering,
    starts_at: datetime,
    capacity: int,
    price_cents: int,
    organization: str,
    location: str = "",
) -> Session:
    """A session for one organization or one person (an accepted proposal): never listed,
    lasting the offering's duration, in the practice's time zone, without a waitlist."""
    return Session.objects.create(
        offering=offering,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=offering.duration_minutes),
        timezone=settings.PRACTICE_TIME_ZONE,
        location=location,
        capacity=capacity,
        price_override_cents=price_cents,
        is_public=False,
        organization=organization[:200],
        waitlist_enabled=False,
    )
