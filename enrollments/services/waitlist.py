"""The waitlist: seats freed in a session are offered, in order, to those waiting for them."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from enrollments.models import Enrollment
from enrollments.services.emails import booking_context
from enrollments.services.roster import confirm
from enrollments.services.seats import lock_session, seats_left
from outbox.services import mail_queue
from workshops.models import Session

Status = Enrollment.Status


def offer_freed_seats(session: Session, now: datetime) -> None:
    """First come, first served among waitlist entries that fit; the caller holds the lock."""
    if not session.accepts_enrollments(now):
        return
    left = seats_left(session, now)
    waiting = Enrollment.objects.select_for_update().filter(
        session=session, status=Status.WAITLISTED
    )
    for entry in waiting.order_by("created_at", "id"):
        if left <= 0:
            break
        if entry.seats > left:
            continue
        left -= entry.seats
        if entry.amount_cents == 0:
            confirm(entry, now)
            continue
        entry.status = Status.OFFERED
        # A day to decide (WAITLIST_OFFER_HOURS), never past the session's start.
        entry.hold_expires_at = min(
            now + timedelta(hours=settings.WAITLIST_OFFER_HOURS), session.starts_at
        )
        entry.save(update_fields=["status", "hold_expires_at", "updated_at"])
        mail_queue(
            kind="waitlist_offer",
            to=entry.email,
            context=booking_context(entry),
            related=entry,
            language=entry.language,
        )


def waitlist_offer_on(*, session_id: int, now: datetime | None = None) -> None:
    """After a change that may have freed seats (a capacity raised in the admin): offered to
    those waiting, in order, under the session's lock."""
    now = now or timezone.now()
    with transaction.atomic():
        offer_freed_seats(lock_session(session_id), now)
