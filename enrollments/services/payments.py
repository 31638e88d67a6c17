"""What a payment's outcome means for a booking, as billing reports it (`billing/events.py`).

DESIGN.md invariant 3: a payment that lands after its hold lapsed still ends well. Every
change here takes the session's lock first, then the payment's (through billing), then the
booking's: the one lock order of every booking change.
"""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from billing.events import PaymentSucceeded, RefundedAtStripe, RefundFailed, StripeRefund
from billing.models import Payment, Refund
from billing.selectors import refundable_cents, refunds_of
from billing.services.payments import payment_claim_success
from billing.services.refunds import refund_create, refunds_record_from_stripe
from config.money import amount_for_people
from enrollments.models import Enrollment
from enrollments.services.cancellation import booking_end
from enrollments.services.discounts import discount_take_back
from enrollments.services.emails import booking_context
from enrollments.services.receipts import receipt_issue, receipt_link
from enrollments.services.roster import confirm
from enrollments.services.seats import lock_booking, lock_session, seats_left, session_of
from enrollments.services.waitlist import offer_freed_seats
from outbox.services import mail_queue

Status = Enrollment.Status
PAYABLE_TYPE = Enrollment._meta.label_lower  # how billing's events name a booking

# The email that explains a payment given back in full, by why it was given back.
_REFUND_NOTICES = {
    Refund.Reason.DUPLICATE: "duplicate_payment_refunded",
    Refund.Reason.CANCELLATION: "cancelled_payment_refunded",
}


def _refund_whole_payment(enrollment: Enrollment, payment: Payment, reason: Refund.Reason) -> None:
    refund_create(payable=enrollment, amount_cents=payment.amount_cents, reason=reason)
    mail_queue(
        kind=_REFUND_NOTICES[reason],
        to=enrollment.email,
        language=enrollment.language,
        context=booking_context(
            enrollment, refund=amount_for_people(payment.amount_cents, payment.currency)
        ),
        related=enrollment,
    )


def enrollment_settle_payment(
    *, payment_id: int, enrollment_id: int, now: datetime | None = None
) -> str:
    """A payment succeeded: confirm the seats, or refund if there are none to give.

    Safe to call again for the same payment (a duplicate or replayed webhook).
    """
    now = now or timezone.now()
    with transaction.atomic():
        # The session first, as every booking change does; then the payment, then the booking.
        session = lock_session(session_of(enrollment_id))
        payment = payment_claim_success(payment_id=payment_id, now=now)
        if payment is None:
            return "already applied"
        enrollment = Enrollment.objects.select_for_update().get(pk=enrollment_id)

        if enrollment.status == Status.CONFIRMED:
            _refund_whole_payment(enrollment, payment, Refund.Reason.DUPLICATE)
            return "duplicate payment refunded"
        if enrollment.status in (Status.CANCELLED, Status.REFUNDED):
            _refund_whole_payment(enrollment, payment, Refund.Reason.CANCELLATION)
            return "payment for a cancelled booking refunded"

        hold_valid = (
            enrollment.status in Enrollment.HOLDING
            and enrollment.hold_expires_at is not None
            and enrollment.hold_expires_at > now
        )
        # A lapsed hold no longer counts in `seats_left`, so this asks: is there room now?
        # A discount given back when the hold lapsed is taken again, if a use is still free.
        if hold_valid or (
            session.accepts_enrollments(now)
            and enrollment.seats <= seats_left(session, now)
            and discount_take_back(enrollment)
        ):
            # The receipt's number is taken under the session's lock, as every number is.
            receipt = receipt_issue(enrollment=enrollment, payment=payment, now=now)
            confirm(enrollment, now, receipt=receipt_link(receipt))
            return "confirmed" if hold_valid else "confirmed after the hold lapsed"

        booking_end(enrollment, refunded=True, now=now)
        refund_create(
            payable=enrollment,
            amount_cents=payment.amount_cents,
            reason=Refund.Reason.LATE_PAYMENT,
        )
        mail_queue(
            kind="late_payment_refunded",
            to=enrollment.email,
            language=enrollment.language,
            context=booking_context(enrollment),
            related=enrollment,
        )
        return "late payment refunded: no seat left"


def enrollment_record_stripe_refunds(
    *,
    payment_id: int,
    enrollment_id: int,
    refunds: tuple[StripeRefund, ...],
    now: datetime | None = None,
) -> str:
    """Refunds made outside Regard (Stripe's dashboard): record them; a full one frees the seats."""
    now = now or timezone.now()
    with transaction.atomic():
        session, enrollment = lock_booking(enrollment_id)
        added = refunds_record_from_stripe(payment_id=payment_id, refunds=refunds, now=now)
        if not added:
            return "ignored: refunds already known"
        if enrollment.status == Status.CONFIRMED and refundable_cents(enrollment) == 0:
            booking_end(enrollment, refunded=True, now=now)
            offer_freed_seats(session, now)
        mail_queue(
            kind="refund_issued",
            to=enrollment.email,
            language=enrollment.language,
            context=booking_context(enrollment, refund=None),
            related=enrollment,
        )
        return f"{added} refund(s) recorded"


def enrollment_refund_failed(*, enrollment_id: int, amount_cents: int) -> str:
    """Stripe could not give the money back: the booking is no longer shown refunded, and
    the person hears that the practice is on it (the practice was told by billing)."""
    with transaction.atomic():
        _session, enrollment = lock_booking(enrollment_id)
        if (
            enrollment.status == Status.REFUNDED
            and not refunds_of(enrollment)
            .filter(status__in=[Refund.Status.PENDING, Refund.Status.SUCCEEDED])
            .exists()
        ):
            enrollment.status = Status.CANCELLED  # cancelled all the same; not refunded
            enrollment.save(update_fields=["status", "updated_at"])
        mail_queue(
            kind="refund_delayed",
            to=enrollment.email,
            language=enrollment.language,
            context=booking_context(
                enrollment, refund=amount_for_people(amount_cents, enrollment.currency)
            ),
            related=enrollment,
        )
    return "refund failed: the person is told it is being looked into"


# --- Subscribers to billing's events (`EnrollmentsConfig.ready()`) ---------------------------


def on_payment_succeeded(event: PaymentSucceeded) -> str | None:
    if event.payable_type != PAYABLE_TYPE:
        return None
    return enrollment_settle_payment(payment_id=event.payment_id, enrollment_id=event.payable_id)


def on_refunded_at_stripe(event: RefundedAtStripe) -> str | None:
    if event.payable_type != PAYABLE_TYPE:
        return None
    return enrollment_record_stripe_refunds(
        payment_id=event.payment_id, enrollment_id=event.payable_id, refunds=event.refunds
    )


def on_refund_failed(event: RefundFailed) -> str | None:
    if event.payable_type != PAYABLE_TYPE:
        return None
    return enrollment_refund_failed(enrollment_id=event.payable_id, amount_cents=event.amount_cents)
