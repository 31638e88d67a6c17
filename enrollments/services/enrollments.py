"""Enrollments: seat holds, payment outcomes, the waitlist, cancellation and refunds.

Every write that touches seats locks the session row first (`_lock_session`), then
counts seats in a new statement, so the count sees every hold committed before the
lock was granted (DESIGN.md invariant 1). Stripe is called only after that
transaction has committed.
"""

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from billing import services as billing
from billing.models import Payment, Refund
from config.celery import enqueue_on_commit
from config.errors import Conflict, InvalidInput
from enrollments.calendar import describe_when, session_calendar
from enrollments.models import Enrollment, Participant
from enrollments.references import new_reference, new_token
from enrollments.services.mail import mail_queue
from workshops import cache as catalog_cache
from workshops.models import Session
from workshops.money import format_amount
from workshops.selectors import listed_sessions, next_hold_lapse, seats_taken

logger = logging.getLogger(__name__)

Status = Enrollment.Status
# Seats in these statuses can be given up by the person holding the link.
CANCELLABLE = (Status.PENDING_PAYMENT, Status.OFFERED, Status.WAITLISTED, Status.CONFIRMED)


@dataclass(frozen=True)
class ParticipantInput:
    name: str
    email: str


class SessionNotFound(InvalidInput):
    def __init__(self) -> None:
        message = "We couldn't find this session. Please choose one from the catalog."
        super().__init__(fields={"session": [message]})


class SessionFull(Conflict):
    code = "session_full"
    message = (
        "This session is full. You can join the waitlist and we will write as soon as a seat opens."
    )


class EnrollmentClosed(Conflict):
    code = "enrollment_closed"
    message = (
        "Enrollment for this session has closed. Have a look at the other dates, or write "
        "to us and we will gladly help you find one that suits you."
    )


class NotCancellable(Conflict):
    code = "not_cancellable"
    message = "This booking can no longer be cancelled here. Please write to us and we will help."


class RosterClosed(Conflict):
    code = "roster_closed"
    message = (
        "The participant list can no longer be changed here. Please write to us and we will help."
    )


# --- Reading the rules ----------------------------------------------------------------------


def _lock_session(session_id: int, sessions: QuerySet[Session] | None = None) -> Session:
    sessions = (Session.objects.all() if sessions is None else sessions).select_related("offering")
    # A test-only switch: with it off, the concurrency test shows the oversell the lock prevents.
    if settings.ENROLLMENT_SEAT_LOCK:
        sessions = sessions.select_for_update(of=("self",))
    return sessions.get(pk=session_id)


def _seats_left(session: Session, now: datetime) -> int:
    # A statement of its own, after the lock: it sees every hold committed before we got it.
    taken = (
        Session.objects.filter(pk=session.pk)
        .annotate(taken=seats_taken(now=now))
        .values_list("taken", flat=True)
        .get()
    )
    return max(session.capacity - int(taken), 0)


def _check_open(session: Session, now: datetime) -> None:
    if session.status == Session.Status.CANCELLED:
        raise EnrollmentClosed(
            "This session has been cancelled. We're sorry; have a look at the other dates.",
            code="session_cancelled",
        )
    if not session.accepts_enrollments(now):
        raise EnrollmentClosed()


def _check_room(
    *, waitlist_enabled: bool, seats: int, seats_left: int, join_waitlist: bool
) -> None:
    """Refuses a request that neither fits nor may wait, saying why."""
    if seats <= seats_left or (join_waitlist and waitlist_enabled):
        return
    if seats_left > 0:
        raise SessionFull(
            f"Only {seats_left} seat(s) are left in this session. You can book those, "
            "or join the waitlist for all of yours.",
            code="not_enough_seats",
        )
    if not waitlist_enabled:
        raise SessionFull(
            "This session is full. Have a look at the other dates, or write to us and "
            "we will let you know when a new one is planned."
        )
    raise SessionFull()


def _refuse_if_noted_full(
    session_id: int, *, seats: int, join_waitlist: bool, now: datetime
) -> str:
    """Refuses, with no SQL and without queueing for the session's lock, a request for a
    session the locked check has lately found full; returns the catalog version it read.

    In a rush on a full session every request would otherwise wait its turn at the row
    lock only to hear that it is full. The locked check notes a session it finds full in
    the catalog cache, under this version, read before the seats were; any write to the
    catalog or its seats moves the version on and ends the note, and so does the first
    moment the answer could change by time alone (`_note_full`). The answer is the one the
    locked check gave: a seat freed a moment later is the same as the request arriving a
    moment earlier. It never lets anyone in; that stays with the locked check.
    """
    full, version = catalog_cache.known_full(session_id, now=now)
    if full is not None:
        _check_room(
            waitlist_enabled=full.waitlist_enabled,
            seats=seats,
            seats_left=0,
            join_waitlist=join_waitlist,
        )
    return version


def _note_full(session: Session, *, version: str, now: datetime) -> None:
    """Called under the session's lock, having found no seat left."""
    if not version:
        return  # the catalog cache is off
    until = session.enrollment_deadline
    lapse = next_hold_lapse(session.pk, now=now)
    catalog_cache.note_full(
        session.pk,
        catalog_cache.FullSession(waitlist_enabled=session.waitlist_enabled),
        version=version,
        until=until if lapse is None else min(lapse, until),
        now=now,
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
    can_cancel = enrollment.status in CANCELLABLE and now < session.starts_at
    refund = billing.refundable_cents(enrollment) if can_cancel and now <= full_refund_until else 0
    return CancellationTerms(can_cancel, refund, full_refund_until)


# --- Emails ---------------------------------------------------------------------------------


def _context(enrollment: Enrollment, **extra: Any) -> dict[str, Any]:
    session = enrollment.session
    return {
        "enrollment": enrollment,
        "session": session,
        "when": describe_when(session),
        "amount": format_amount(enrollment.amount_cents, enrollment.currency),
        "booking_url": billing.booking_url(enrollment),
        **extra,
    }


def _same(a: str, b: str) -> bool:
    return a.strip().lower() == b.strip().lower()


def _queue_confirmations(
    enrollment: Enrollment, *, only: Sequence[Participant] | None = None
) -> None:
    """The purchaser's confirmation, and each named participant's own with the calendar file.

    With `only`, just those participants are written to (people added to the roster later).
    """
    session = enrollment.session
    participants = list(enrollment.participants.all())
    online = session.offering.format != "in_person" and bool(session.meeting_link)
    if only is None:
        attending = not participants or any(_same(p.email, enrollment.email) for p in participants)
        link = session.meeting_link if attending and online else ""
        mail_queue(
            kind="enrollment_confirmation",
            to=enrollment.email,
            context=_context(
                enrollment, attending=attending, meeting_link=link, participants=participants
            ),
            related=enrollment,
            attachments=[session_calendar(session, meeting_link=link)] if attending else [],
        )
    for participant in only if only is not None else participants:
        if _same(participant.email, enrollment.email) and only is None:
            continue  # the purchaser's own confirmation already says everything
        link = session.meeting_link if online else ""
        mail_queue(
            kind="participant_confirmation",
            to=participant.email,
            context=_context(enrollment, participant=participant, meeting_link=link),
            related=enrollment,
            attachments=[session_calendar(session, meeting_link=link)],
        )


def _confirm(enrollment: Enrollment, now: datetime) -> None:
    enrollment.status = Status.CONFIRMED
    enrollment.confirmed_at = now
    enrollment.save(update_fields=["status", "confirmed_at", "updated_at"])
    _queue_confirmations(enrollment)


def _offer_freed_seats(session: Session, now: datetime) -> None:
    """First come, first served among waitlist entries that fit; the caller holds the lock."""
    if not session.accepts_enrollments(now):
        return
    seats_left = _seats_left(session, now)
    waiting = Enrollment.objects.select_for_update().filter(
        session=session, status=Status.WAITLISTED
    )
    for entry in waiting.order_by("created_at", "id"):
        if seats_left <= 0:
            break
        if entry.seats > seats_left:
            continue
        seats_left -= entry.seats
        if entry.amount_cents == 0:
            _confirm(entry, now)
            continue
        entry.status = Status.OFFERED
        entry.hold_expires_at = now + timedelta(minutes=settings.ENROLLMENT_HOLD_MINUTES)
        entry.save(update_fields=["status", "hold_expires_at", "updated_at"])
        mail_queue(kind="waitlist_offer", to=entry.email, context=_context(entry), related=entry)


# --- Creating -------------------------------------------------------------------------------


def _unique_reference() -> str:
    while True:
        reference = new_reference("ENR")
        if not Enrollment.objects.filter(reference=reference).exists():
            return reference


def enrollment_hold(
    *,
    session_id: int,
    name: str,
    email: str,
    organization: str = "",
    seats: int = 1,
    participants: Sequence[ParticipantInput] = (),
    join_waitlist: bool = False,
    now: datetime | None = None,
) -> Enrollment:
    """Take seats in a session the public may book, under its lock: held for payment,
    confirmed if free, or waitlisted."""
    now = now or timezone.now()
    version = ""
    # With the test-only switch off, the concurrency test must still see the whole oversell.
    if settings.ENROLLMENT_SEAT_LOCK:
        version = _refuse_if_noted_full(
            session_id, seats=seats, join_waitlist=join_waitlist, now=now
        )
    with transaction.atomic():
        try:
            session = _lock_session(session_id, listed_sessions())
        except Session.DoesNotExist:
            raise SessionNotFound() from None
        _check_open(session, now)
        seats_left = _seats_left(session, now)
        try:
            _check_room(
                waitlist_enabled=session.waitlist_enabled,
                seats=seats,
                seats_left=seats_left,
                join_waitlist=join_waitlist,
            )
        except SessionFull:
            if seats_left == 0:
                _note_full(session, version=version, now=now)
            raise
        enrollment = Enrollment(
            session=session,
            name=name,
            email=email,
            organization=organization,
            seats=seats,
            amount_cents=session.price_cents * seats,
            currency=session.offering.currency,
            token=new_token(),
            reference=_unique_reference(),
            consent_at=now,
        )
        if seats <= seats_left:
            if enrollment.amount_cents == 0:
                enrollment.status = Status.CONFIRMED
                enrollment.confirmed_at = now
            else:
                enrollment.status = Status.PENDING_PAYMENT
                enrollment.hold_expires_at = now + timedelta(
                    minutes=settings.ENROLLMENT_HOLD_MINUTES
                )
        else:
            enrollment.status = Status.WAITLISTED
        enrollment.save()

        named = list(participants)
        if not named and seats == 1:
            named = [ParticipantInput(name=name, email=email)]  # one seat: the purchaser attends
        Participant.objects.bulk_create(
            Participant(enrollment=enrollment, name=p.name, email=p.email) for p in named
        )
        if enrollment.status == Status.CONFIRMED:
            _queue_confirmations(enrollment)
        elif enrollment.status == Status.WAITLISTED:
            mail_queue(
                kind="waitlist_joined", to=email, context=_context(enrollment), related=enrollment
            )
    logger.info("enrollment %s: %s", enrollment.reference, enrollment.status)
    return enrollment


def enrollment_create(**hold: Any) -> tuple[Enrollment, Payment | None]:
    """Hold seats (one transaction), then ask Stripe how to pay (outside it).

    If Stripe cannot be reached the hold is released at once and `PaymentUnavailable`
    propagates: the person is told to try again, and no seat stays blocked.
    """
    enrollment = enrollment_hold(**hold)
    if enrollment.status != Status.PENDING_PAYMENT:
        return enrollment, None
    try:
        return enrollment, billing.payment_start(enrollment=enrollment)
    except billing.PaymentUnavailable:
        enrollment_release_hold(enrollment_id=enrollment.pk)
        raise


def enrollment_pay(*, enrollment_id: int, now: datetime | None = None) -> Payment:
    """A way to pay for a held or offered seat (the waitlist offer's link, or a retry)."""
    now = now or timezone.now()
    enrollment = Enrollment.objects.select_related("session__offering").get(pk=enrollment_id)
    if enrollment.status not in Enrollment.HOLDING or (
        enrollment.hold_expires_at and enrollment.hold_expires_at <= now
    ):
        raise Conflict("There is nothing to pay for this booking right now.", code="nothing_to_pay")
    return billing.payment_start(enrollment=enrollment)


def enrollment_release_hold(*, enrollment_id: int, now: datetime | None = None) -> None:
    now = now or timezone.now()
    with transaction.atomic():
        enrollment = Enrollment.objects.get(pk=enrollment_id)
        session = _lock_session(enrollment.session_id)
        released = Enrollment.objects.filter(
            pk=enrollment_id, status__in=Enrollment.HOLDING
        ).update(status=Status.EXPIRED, updated_at=now)
        if released:
            catalog_cache.catalog_changed()  # an update() sends no signal
            _offer_freed_seats(session, now)


# --- Payment outcomes -----------------------------------------------------------------------


# The email that explains a payment given back in full, by why it was given back.
_REFUND_NOTICES = {
    Refund.Reason.DUPLICATE: "duplicate_payment_refunded",
    Refund.Reason.CANCELLATION: "cancelled_payment_refunded",
}


def _refund_whole_payment(enrollment: Enrollment, payment: Payment, reason: Refund.Reason) -> None:
    billing.refund_create(enrollment=enrollment, amount_cents=payment.amount_cents, reason=reason)
    mail_queue(
        kind=_REFUND_NOTICES[reason],
        to=enrollment.email,
        context=_context(enrollment, refund=format_amount(payment.amount_cents, payment.currency)),
        related=enrollment,
    )


def enrollment_settle_payment(*, payment_id: int, now: datetime | None = None) -> str:
    """A payment succeeded: confirm the seats, or refund if there are none to give.

    DESIGN.md invariant 3: a payment that lands after its hold lapsed still ends well.
    Safe to call again for the same payment (a duplicate or replayed webhook).
    """
    now = now or timezone.now()
    with transaction.atomic():
        session_id = Payment.objects.values_list("enrollment__session_id", flat=True).get(
            pk=payment_id
        )
        session = _lock_session(session_id)
        payment = Payment.objects.select_for_update().get(pk=payment_id)
        if payment.status == Payment.Status.SUCCEEDED:
            return "already applied"
        enrollment = Enrollment.objects.select_for_update().get(pk=payment.enrollment_id)
        payment.status = Payment.Status.SUCCEEDED
        payment.succeeded_at = now
        payment.save(update_fields=["status", "succeeded_at"])

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
        # A lapsed hold no longer counts in `_seats_left`, so this asks: is there room now?
        if hold_valid or (
            session.accepts_enrollments(now) and enrollment.seats <= _seats_left(session, now)
        ):
            _confirm(enrollment, now)
            return "confirmed" if hold_valid else "confirmed after the hold lapsed"

        enrollment.status = Status.REFUNDED
        enrollment.cancelled_at = now
        enrollment.save(update_fields=["status", "cancelled_at", "updated_at"])
        billing.refund_create(
            enrollment=enrollment,
            amount_cents=payment.amount_cents,
            reason=Refund.Reason.LATE_PAYMENT,
        )
        mail_queue(
            kind="late_payment_refunded",
            to=enrollment.email,
            context=_context(enrollment),
            related=enrollment,
        )
        return "late payment refunded: no seat left"


def enrollment_record_payment_failure(*, payment_id: int, message: str) -> str:
    """A card was declined: the hold stays until it lapses, so the person can try again."""
    updated = Payment.objects.filter(pk=payment_id, status=Payment.Status.PENDING).update(
        last_error=message[:500]
    )
    return "failure noted" if updated else "ignored: payment no longer pending"


def enrollment_close_payment(*, payment_id: int) -> str:
    """Stripe closed a payment (a Checkout page expired): nothing more will come from it."""
    updated = Payment.objects.filter(pk=payment_id, status=Payment.Status.PENDING).update(
        status=Payment.Status.CANCELLED
    )
    return "payment closed" if updated else "ignored: payment no longer pending"


def enrollment_record_stripe_refunds(
    *, payment_id: int, refunds: Iterable[tuple[str, int]], now: datetime | None = None
) -> str:
    """Refunds made outside Regard (Stripe's dashboard): record them; a full one frees the seats."""
    now = now or timezone.now()
    with transaction.atomic():
        payment = Payment.objects.select_related("enrollment").get(pk=payment_id)
        session = _lock_session(payment.enrollment.session_id)
        enrollment = Enrollment.objects.select_for_update().get(pk=payment.enrollment_id)
        known = set(
            payment.refunds.exclude(stripe_refund_id=None).values_list(
                "stripe_refund_id", flat=True
            )
        )
        added = 0
        for stripe_refund_id, amount_cents in refunds:
            if stripe_refund_id in known:
                continue
            Refund.objects.create(
                payment=payment,
                amount_cents=amount_cents,
                currency=payment.currency,
                reason=Refund.Reason.STRIPE_DASHBOARD,
                stripe_refund_id=stripe_refund_id,
                status=Refund.Status.SUCCEEDED,
                succeeded_at=now,
            )
            added += 1
        if not added:
            return "ignored: refunds already known"
        if enrollment.status == Status.CONFIRMED and billing.refundable_cents(enrollment) == 0:
            enrollment.status = Status.REFUNDED
            enrollment.cancelled_at = now
            enrollment.save(update_fields=["status", "cancelled_at", "updated_at"])
            _offer_freed_seats(session, now)
        mail_queue(
            kind="refund_issued",
            to=enrollment.email,
            context=_context(enrollment, refund=None),
            related=enrollment,
        )
        return f"{added} refund(s) recorded"


# --- Changes by the person ------------------------------------------------------------------


def enrollment_cancel(*, enrollment_id: int, now: datetime | None = None) -> Enrollment:
    """Cancel by the booking link: refund by the policy, free the seats, offer them on."""
    now = now or timezone.now()
    with transaction.atomic():
        session_id = Enrollment.objects.values_list("session_id", flat=True).get(pk=enrollment_id)
        session = _lock_session(session_id)
        enrollment = Enrollment.objects.select_for_update().get(pk=enrollment_id)
        terms = cancellation_terms(enrollment, now=now)
        if not terms.can_cancel:
            raise NotCancellable()
        held_seats = enrollment.status != Status.WAITLISTED
        enrollment.status = Status.REFUNDED if terms.refund_cents else Status.CANCELLED
        enrollment.cancelled_at = now
        enrollment.save(update_fields=["status", "cancelled_at", "updated_at"])
        if terms.refund_cents:
            billing.refund_create(
                enrollment=enrollment,
                amount_cents=terms.refund_cents,
                reason=Refund.Reason.CANCELLATION,
            )
        for payment_id in enrollment.payments.filter(status=Payment.Status.PENDING).values_list(
            "pk", flat=True
        ):
            Payment.objects.filter(pk=payment_id).update(status=Payment.Status.CANCELLED)
            enqueue_on_commit("billing.cancel_payment", payment_id=payment_id)
        mail_queue(
            kind="enrollment_cancelled",
            to=enrollment.email,
            context=_context(
                enrollment,
                refund=format_amount(terms.refund_cents, enrollment.currency)
                if terms.refund_cents
                else None,
            ),
            related=enrollment,
        )
        if held_seats:
            _offer_freed_seats(session, now)
    return enrollment


def enrollment_replace_participants(
    *, enrollment_id: int, participants: Sequence[ParticipantInput], now: datetime | None = None
) -> Enrollment:
    """Replace the named participants; new ones of a confirmed booking get their confirmation."""
    now = now or timezone.now()
    with transaction.atomic():
        enrollment = (
            Enrollment.objects.select_for_update(of=("self",))
            .select_related("session__offering")
            .get(pk=enrollment_id)
        )
        if enrollment.status not in CANCELLABLE or now >= enrollment.session.starts_at:
            raise RosterClosed()
        if len(participants) > enrollment.seats:
            raise InvalidInput(
                fields={
                    "participants": [
                        f"This booking has {enrollment.seats} seat(s), so at most "
                        f"{enrollment.seats} participant(s) can be named."
                    ]
                }
            )
        existing = {p.email.lower(): p for p in enrollment.participants.all()}
        wanted = {p.email.lower(): p for p in participants}
        for key, participant in existing.items():
            if key not in wanted:
                participant.delete()
        added = []
        for key, person in wanted.items():
            if key in existing:
                Participant.objects.filter(pk=existing[key].pk).update(name=person.name)
            else:
                added.append(
                    Participant.objects.create(
                        enrollment=enrollment, name=person.name, email=person.email
                    )
                )
        if enrollment.status == Status.CONFIRMED and added:
            _queue_confirmations(enrollment, only=added)
    return enrollment


# --- Jobs -----------------------------------------------------------------------------------


def holds_expire(*, now: datetime | None = None) -> int:
    """Expire lapsed holds and offers, session by session, and offer the seats on."""
    now = now or timezone.now()
    session_ids = set(
        Enrollment.objects.filter(
            status__in=Enrollment.HOLDING, hold_expires_at__lte=now
        ).values_list("session_id", flat=True)
    )
    expired = 0
    for session_id in session_ids:
        with transaction.atomic():
            session = _lock_session(session_id)
            lapsed = list(
                Enrollment.objects.select_for_update().filter(
                    session=session, status__in=Enrollment.HOLDING, hold_expires_at__lte=now
                )
            )
            for enrollment in lapsed:
                enrollment.status = Status.EXPIRED
                enrollment.save(update_fields=["status", "updated_at"])
                mail_queue(
                    kind="hold_expired",
                    to=enrollment.email,
                    context=_context(enrollment),
                    related=enrollment,
                )
            expired += len(lapsed)
            _offer_freed_seats(session, now)
    return expired


# --- The practice's actions (admin) ---------------------------------------------------------


def enrollment_refund(
    *, enrollment_id: int, amount_cents: int, created_by: Any = None, now: datetime | None = None
) -> Enrollment:
    """The admin refunds part or all of what was paid; a full refund frees the seats."""
    now = now or timezone.now()
    with transaction.atomic():
        session_id = Enrollment.objects.values_list("session_id", flat=True).get(pk=enrollment_id)
        session = _lock_session(session_id)
        enrollment = Enrollment.objects.select_for_update().get(pk=enrollment_id)
        refundable = billing.refundable_cents(enrollment)
        if amount_cents <= 0 or amount_cents > refundable:
            raise InvalidInput(
                fields={
                    "amount": [
                        f"Choose an amount between 0.01 and "
                        f"{format_amount(refundable, enrollment.currency)} {enrollment.currency}."
                    ]
                }
            )
        billing.refund_create(
            enrollment=enrollment,
            amount_cents=amount_cents,
            reason=Refund.Reason.ADMIN,
            created_by=created_by,
        )
        if amount_cents == refundable and enrollment.status == Status.CONFIRMED:
            enrollment.status = Status.REFUNDED
            enrollment.cancelled_at = now
            enrollment.save(update_fields=["status", "cancelled_at", "updated_at"])
            _offer_freed_seats(session, now)
        mail_queue(
            kind="refund_issued",
            to=enrollment.email,
            context=_context(enrollment, refund=format_amount(amount_cents, enrollment.currency)),
            related=enrollment,
        )
    return enrollment


def enrollment_resend_confirmation(*, enrollment_id: int) -> bool:
    with transaction.atomic():
        enrollment = Enrollment.objects.select_related("session__offering").get(pk=enrollment_id)
        if enrollment.status != Status.CONFIRMED:
            return False
        _queue_confirmations(enrollment)
    return True


def participants_mark_attended(*, enrollment_ids: Iterable[int], attended: bool = True) -> int:
    return Participant.objects.filter(
        enrollment_id__in=list(enrollment_ids), enrollment__status=Status.CONFIRMED
    ).update(attended=attended)


def session_cancel(*, session_id: int, now: datetime | None = None) -> int:
    """The practice cancels a session: everyone is told, and everything paid is refunded."""
    now = now or timezone.now()
    with transaction.atomic():
        session = _lock_session(session_id)
        if session.status == Session.Status.CANCELLED:
            return 0
        session.status = Session.Status.CANCELLED
        session.calendar_sequence += 1  # the cancellation replaces the entry people have
        session.save(update_fields=["status", "calendar_sequence", "updated_at"])
        affected = list(
            Enrollment.objects.select_for_update().filter(session=session, status__in=CANCELLABLE)
        )
        for enrollment in affected:
            refund = billing.refundable_cents(enrollment)
            was_confirmed = enrollment.status == Status.CONFIRMED
            enrollment.status = Status.REFUNDED if refund else Status.CANCELLED
            enrollment.cancelled_at = now
            enrollment.save(update_fields=["status", "cancelled_at", "updated_at"])
            if refund:
                billing.refund_create(
                    enrollment=enrollment,
                    amount_cents=refund,
                    reason=Refund.Reason.SESSION_CANCELLED,
                )
            for payment_id in enrollment.payments.filter(status=Payment.Status.PENDING).values_list(
                "pk", flat=True
            ):
                Payment.objects.filter(pk=payment_id).update(status=Payment.Status.CANCELLED)
                enqueue_on_commit("billing.cancel_payment", payment_id=payment_id)
            context = _context(
                enrollment, refund=format_amount(refund, enrollment.currency) if refund else None
            )
            cancellation = [session_calendar(session, cancelled=True)] if was_confirmed else []
            mail_queue(
                kind="session_cancelled",
                to=enrollment.email,
                context=context,
                related=enrollment,
                attachments=cancellation,
            )
            if was_confirmed:
                for participant in enrollment.participants.all():
                    if _same(participant.email, enrollment.email):
                        continue
                    mail_queue(
                        kind="session_cancelled_participant",
                        to=participant.email,
                        context={**context, "participant": participant},
                        related=enrollment,
                        attachments=cancellation,
                    )
    return len(affected)


# --- Reminders, and changes to a session ----------------------------------------------------

# What people have in their calendars; a change to any of these is sent to them.
SCHEDULE_FIELDS = frozenset({"starts_at", "ends_at", "timezone", "location", "meeting_link"})


@dataclass(frozen=True)
class Attendee:
    key: str  # stable per person and booking, for the never-twice dedupe keys
    name: str
    email: str


def _attendees(enrollment: Enrollment) -> list[Attendee]:
    """Who comes: the named participants, or the purchaser while no one is named."""
    named = [Attendee(f"p{p.pk}", p.name, p.email) for p in enrollment.participants.all()]
    return named or [Attendee(f"e{enrollment.pk}", enrollment.name, enrollment.email)]


def _online_link(session: Session) -> str:
    return session.meeting_link if session.offering.format != "in_person" else ""


def reminders_send_due(*, now: datetime | None = None) -> int:
    """One reminder per attendee, `REMINDER_HOURS_BEFORE` hours ahead, with the calendar file.

    Never twice for the same time and place: the dedupe key carries the session's
    calendar sequence, so only a rescheduled session is reminded of again. People who
    booked inside the reminder window just had their confirmation and are left alone.
    """
    now = now or timezone.now()
    ahead = timedelta(hours=settings.REMINDER_HOURS_BEFORE)
    sessions = Session.objects.filter(
        status=Session.Status.SCHEDULED, starts_at__gt=now, starts_at__lte=now + ahead
    ).select_related("offering")
    queued = 0
    for session in sessions:
        confirmed = Enrollment.objects.filter(
            session=session, status=Status.CONFIRMED, confirmed_at__lt=session.starts_at - ahead
        ).prefetch_related("participants")
        link = _online_link(session)
        with transaction.atomic():
            for enrollment in confirmed:
                for attendee in _attendees(enrollment):
                    queued += bool(
                        mail_queue(
                            kind="session_reminder",
                            to=attendee.email,
                            context=_context(enrollment, attendee=attendee, meeting_link=link),
                            related=enrollment,
                            attachments=[session_calendar(session, meeting_link=link)],
                            dedupe_key=(
                                f"reminder-{session.pk}-{session.calendar_sequence}-{attendee.key}"
                            ),
                        )
                    )
    return queued


def session_notify_change(*, session_id: int, changed: Iterable[str]) -> int:
    """The practice moved a session: everyone confirmed gets the new time or place.

    The calendar file keeps the session's UID with a higher SEQUENCE, so calendars
    replace the old entry instead of adding a second one.
    """
    if not SCHEDULE_FIELDS & set(changed):
        return 0
    with transaction.atomic():
        session = _lock_session(session_id)
        if session.status != Session.Status.SCHEDULED:
            return 0
        Session.objects.filter(pk=session.pk).update(calendar_sequence=F("calendar_sequence") + 1)
        session.refresh_from_db(fields=["calendar_sequence"])
        link = _online_link(session)
        told = 0
        confirmed = Enrollment.objects.filter(
            session=session, status=Status.CONFIRMED
        ).prefetch_related("participants")
        for enrollment in confirmed:
            people = {a.email.lower(): a for a in _attendees(enrollment)}
            people.setdefault(
                enrollment.email.lower(),
                Attendee(f"e{enrollment.pk}", enrollment.name, enrollment.email),
            )
            for attendee in people.values():
                mail_queue(
                    kind="session_updated",
                    to=attendee.email,
                    context=_context(enrollment, attendee=attendee, meeting_link=link),
                    related=enrollment,
                    attachments=[session_calendar(session, meeting_link=link)],
                )
                told += 1
    return told
