"""Writes to the catalog that the admin makes in bulk."""

from collections.abc import Iterable

from django.db import transaction

from workshops.models import Offering


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
