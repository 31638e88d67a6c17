"""Giving seats up: cancellation by the person (refund by the policy), refunds by the
practice, and a session cancelled by the practice."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from billing.models import Refund
from billing.selectors import refundable_cents
from billing.services.payments import payments_close_open
from billing.services.refunds import refund_create
from config import events
from config.errors import Conflict, InvalidInput
from config.money import amount_for_people, format_amount
from enrollments.events import BookingCancelled
from enrollments.models import Enrollment
from enrollments.services import alerts
from enrollments.services.emails import booking_context, same_person
from enrollments.services.seats import lock_booking, lock_session
from enrollments.services.waitlist import offer_freed_seats
from outbox.services import mail_queue
from workshops.calendar import session_calendar
from workshops.models import Session

Status = Enrollment.Status


class NotCancellable(Conflict):
    code = "not_cancellable"
    message = _(
        "This booking can no longer be cancelled here. Please write to us and we will help."
    )


@dataclass(frozen=True)
class CancellationTerms:
    can_cancel: bool
    refund_cents: int
    full_refund_until: datetime


def cancellation_terms(enrollment: Enrollment, *, now: datetime | None = None) -> CancellationTerms:
    """What cancelling now would mean, shown to the person before they confirm."""
    now = now or timezone.now()
    session = enrollment.session
    full_refund_until = session.starts_at - timedelta(days=settings.CANCELLATION_FULL_REFUND_DAYS)
    can_cancel = enrollment.status in Enrollment.CANCELLABLE and now < session.starts_at
    refund = refundable_cents(enrollment) if can_cancel and now <= full_refund_until else 0
    return CancellationTerms(can_cancel, refund, full_refund_until)


def booking_end(
    enrollment: Enrollment, *, refunded: bool, now: datetime, tell_practice: bool = True
) -> None:
    """Inside the caller's transaction: the booking ends, cancelled or refunded in full. A
    confirmed booking's end is news to the practice, unless the practice ended it."""
    was_confirmed = enrollment.status == Status.CONFIRMED and tell_practice
    enrollment.status = Status.REFUNDED if refunded else Status.CANCELLED
    enrollment.cancelled_at = now
    enrollment.save(update_fields=["status", "cancelled_at", "updated_at"])
    if was_confirmed:
        alerts.tell_ended(enrollment)
    events.publish(BookingCancelled(enrollment_id=enrollment.pk))


def refund_text(enrollment: Enrollment, cents: int) -> str | None:
    """The refund as the email shows it, in the booking's language."""
    return amount_for_people(cents, enrollment.currency) if cents else None


def enrollment_cancel(*, enrollment_id: int, now: datetime | None = None) -> Enrollment:
    """Cancel by the booking link: refund by the policy, free the seats, offer them on."""
    now = now or timezone.now()
    with transaction.atomic():
        session, enrollment = lock_booking(enrollment_id)
        terms = cancellation_terms(enrollment, now=now)
        if not terms.can_cancel:
            raise NotCancellable()
        held_seats = enrollment.status != Status.WAITLISTED
        booking_end(enrollment, refunded=bool(terms.refund_cents), now=now)
        if terms.refund_cents:
            refund_create(
                payable=enrollment,
                amount_cents=terms.refund_cents,
                reason=Refund.Reason.CANCELLATION,
            )
        payments_close_open(payable=enrollment)
        mail_queue(
            kind="enrollment_cancelled",
            to=enrollment.email,
            context=booking_context(enrollment, refund=refund_text(enrollment, terms.refund_cents)),
            related=enrollment,
            language=enrollment.language,
        )
        if held_seats:
            offer_freed_seats(session, now)
    return enrollment


def enrollment_refund(
    *, enrollment_id: int, amount_cents: int, created_by: Any = None, now: datetime | None = None
) -> Enrollment:
    """The admin refunds part or all of what was paid; a full refund frees the seats."""
    now = now or timezone.now()
    with transaction.atomic():
        session, enrollment = lock_booking(enrollment_id)
        refundable = refundable_cents(enrollment)
        if amount_cents <= 0 or amount_cents > refundable:
            raise InvalidInput(
                fields={
                    "amount": [
                        gettext("Choose an amount between 0.01 and %(most)s %(currency)s.")
                        % {
                            "most": format_amount(refundable, enrollment.currency),
                            "currency": enrollment.currency,
                        }
                    ]
                }
            )
        refund_create(
            payable=enrollment,
            amount_cents=amount_cents,
            reason=Refund.Reason.ADMIN,
            created_by=created_by,
        )
        if amount_cents == refundable and enrollment.status == Status.CONFIRMED:
            booking_end(enrollment, refunded=True, now=now, tell_practice=False)
            offer_freed_seats(session, now)
        mail_queue(
            kind="refund_issued",
            to=enrollment.email,
            context=booking_context(enrollment, refund=refund_text(enrollment, amount_cents)),
            related=enrollment,
            language=enrollment.language,
        )
    return enrollment


def session_cancel(*, session_id: int, now: datetime | None = None) -> int:
    """The practice cancels a session: everyone is told, and everything paid is refunded."""
    now = now or timezone.now()
    with transaction.atomic():
        session = lock_session(session_id)
        if session.status == Session.Status.CANCELLED:
            return 0
        session.status = Session.Status.CANCELLED
        session.calendar_sequence += 1  # the cancellation replaces the entry people have
        session.save(update_fields=["status", "calendar_sequence", "updated_at"])
        affected = list(
            Enrollment.objects.select_for_update().filter(
                session=session, status__in=Enrollment.CANCELLABLE
            )
        )
        for enrollment in affected:
            refund = refundable_cents(enrollment)
            was_confirmed = enrollment.status == Status.CONFIRMED
            booking_end(enrollment, refunded=bool(refund), now=now, tell_practice=False)
            if refund:
                refund_create(
                    payable=enrollment,
                    amount_cents=refund,
                    reason=Refund.Reason.SESSION_CANCELLED,
                )
            payments_close_open(payable=enrollment)
            context = booking_context(enrollment, refund=refund_text(enrollment, refund))
            cancellation = (
                [session_calendar(session, cancelled=True, language=enrollment.language)]
                if was_confirmed
                else []
            )
            mail_queue(
                kind="session_cancelled",
                to=enrollment.email,
                context=context,
                related=enrollment,
                attachments=cancellation,
                language=enrollment.language,
            )
            if was_confirmed:
                for participant in enrollment.participants.all():
                    if same_person(participant.email, enrollment.email):
                        continue
                    mail_queue(
                        kind="session_cancelled_participant",
                        to=participant.email,
                        context={**context, "participant": participant},
                        related=enrollment,
                        attachments=cancellation,
                        language=enrollment.language,
                    )
    return len(affected)
