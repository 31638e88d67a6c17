"""Taking seats: a hold for payment, a free confirmation or a place on the waitlist, and the
hold's end when it is not paid in time."""

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from billing.models import Payment
from billing.services.payments import Line, PaymentRequest, payment_start
from billing.stripe_client import PaymentUnavailable
from config import events
from config.cache import count_hit, fail_open, hits
from config.errors import Conflict, TooMany
from config.references import new_reference, new_token
from enrollments.events import BookingExpired
from enrollments.models import Enrollment, Participant
from enrollments.services.discounts import discount_record, discount_take
from enrollments.services.emails import booking_context
from enrollments.services.receipts import booking_amount
from enrollments.services.roster import ParticipantInput, announce_confirmed, confirm
from enrollments.services.seats import (
    SessionFull,
    SessionNotFound,
    check_open,
    check_room,
    lock_booking,
    lock_session,
    note_full,
    refuse_if_noted_full,
    seats_left,
    seats_left_to_newcomers,
)
from enrollments.services.waitlist import offer_freed_seats, waitlist_offer_on
from outbox.services import mail_queue, recipients_check
from workshops import cache as catalog_cache
from workshops.models import Session
from workshops.selectors import listed_sessions

logger = logging.getLogger(__name__)

Status = Enrollment.Status


class AlreadyWaiting(Conflict):
    code = "already_on_waitlist"
    message = _(
        "You're already on the waitlist for this session. We'll write to you as soon as a "
        "seat opens."
    )


class TooManyHoldsHere(TooMany):
    code = "too_many_holds"
    message = _(
        "Several bookings waiting for payment have just been made from here. Please complete "
        "or cancel those first, or wait a little and try again."
    )
    retry_after = 1800


class TooManyHolds(Conflict):
    code = "too_many_holds"
    message = _(
        "You already have seats held for payment in other sessions. Please complete or "
        "cancel those bookings first, or write to us and we'll gladly help."
    )


class _WaitingFirst(Exception):
    """Seats are free that someone on the waitlist could use: they are offered first."""


def unique_reference() -> str:
    while True:
        reference = new_reference("ENR")
        if not Enrollment.objects.filter(reference=reference).exists():
            return reference


def new_booking(
    session: Session,
    *,
    name: str,
    email: str,
    organization: str,
    seats: int,
    amount_cents: int,
    language: str,
    now: datetime,
    reference: str = "",
    **fields: Any,
) -> Enrollment:
    """A booking of `seats` in the session, not yet saved: its secret link and reference
    (`reference`, if one was drawn beforehand), the session's currency, consent given
    `now`; its status is the caller's to set."""
    return Enrollment(
        session=session,
        name=name,
        email=email,
        organization=organization,
        seats=seats,
        amount_cents=amount_cents,
        currency=session.offering.currency,
        token=new_token(),
        reference=reference or unique_reference(),
        consent_at=now,
        language=language or settings.LANGUAGE_CODE,
        **fields,
    )


def name_participants(
    enrollment: Enrollment,
    participants: Sequence[ParticipantInput],
    *,
    purchaser_attends: bool = True,
) -> None:
    """Who attends on a new booking's seats; with nobody named for one seat, the purchaser
    (unless `purchaser_attends` is False: an organization's contact books for others)."""
    named = list(participants)
    if not named and enrollment.seats == 1 and purchaser_attends:
        named = [ParticipantInput(name=enrollment.name, email=enrollment.email)]
    Participant.objects.bulk_create(
        Participant(enrollment=enrollment, name=p.name, email=p.email) for p in named
    )


def enrollment_hold(
    *,
    session_id: int,
    name: str,
    email: str,
    organization: str = "",
    seats: int = 1,
    participants: Sequence[ParticipantInput] = (),
    join_waitlist: bool = False,
    held_from_here: int = 0,
    language: str = "",
    discount_code: str = "",
    now: datetime | None = None,
    waiting_first: bool = True,
) -> Enrollment:
    """Take seats in a session the public may book, under its lock: held for payment,
    confirmed if free, or waitlisted; with a discount code, less what it takes off.
    `held_from_here` is how many seats the request's address holds for payment already
    (capped at `MAX_ACTIVE_HOLDS_PER_ADDRESS`). Seats someone waiting could use are
    theirs first (DESIGN.md): offered to them, then this booking takes what is left."""
    now = now or timezone.now()
    version = ""
    # With the test-only switch off, the concurrency test must still see the whole oversell.
    if settings.ENROLLMENT_SEAT_LOCK:
        version = refuse_if_noted_full(
            session_id, seats=seats, join_waitlist=join_waitlist, now=now
        )
    recipients_check([email, *(participant.email for participant in participants)])
    # Drawn before the lock: every moment under it is a moment the rest of a rush waits.
    reference = unique_reference()
    try:
        with transaction.atomic():
            try:
                session = lock_session(session_id, listed_sessions())
            except Session.DoesNotExist:
                raise SessionNotFound() from None
            check_open(session, now)
            left, someone_waiting_fits = seats_left_to_newcomers(session, now)
            if someone_waiting_fits and waiting_first:
                raise _WaitingFirst()
            try:
                check_room(
                    waitlist_enabled=session.waitlist_enabled,
                    seats=seats,
                    seats_left=left,
                    join_waitlist=join_waitlist,
                )
            except SessionFull:
                if left == 0:
                    note_full(session, version=version, now=now)
                raise
            waits = seats > left
            if (
                waits
                and Enrollment.objects.filter(
                    session=session,
                    email__iexact=email,
                    status__in=[Status.WAITLISTED, Status.OFFERED],
                ).exists()
            ):
                raise AlreadyWaiting()
            # The code's row stays locked until commit, from here: its uses are counted.
            discount = (
                discount_take(
                    code=discount_code, session=session, seats=seats, email=email, now=now
                )
                if discount_code.strip()
                else None
            )
            amount = discount.amount_cents if discount else booking_amount(session, seats)
            paying = not waits and amount > 0
            if paying and held_from_here >= settings.MAX_ACTIVE_HOLDS_PER_ADDRESS:
                raise TooManyHoldsHere()
            if (
                paying
                and Enrollment.objects.filter(
                    email__iexact=email, status__in=Enrollment.HOLDING, hold_expires_at__gt=now
                ).count()
                >= settings.MAX_ACTIVE_HOLDS_PER_EMAIL
            ):
                raise TooManyHolds()
            enrollment = new_booking(
                session,
                name=name,
                email=email,
                organization=organization,
                seats=seats,
                amount_cents=amount,
                language=language,
                now=now,
                reference=reference,
            )
            if seats <= left:
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
            if discount is not None:
                discount_record(enrollment, discount)  # known to the booking from here
            else:  # known to have none: its answer need not ask
                Enrollment.discount.related.set_cached_value(enrollment, None)

            name_participants(enrollment, participants)
            if enrollment.status == Status.CONFIRMED:
                announce_confirmed(enrollment)
            elif enrollment.status == Status.WAITLISTED:
                mail_queue(
                    kind="waitlist_joined",
                    to=email,
                    context=booking_context(enrollment),
                    related=enrollment,
                    language=enrollment.language,
                )
    except _WaitingFirst:
        # Seats were freed without being offered on (a capacity raised): they go to those
        # waiting, in a change of their own, and this booking tries again for what is left.
        waitlist_offer_on(session_id=session_id, now=now)
        return enrollment_hold(
            session_id=session_id,
            name=name,
            email=email,
            organization=organization,
            seats=seats,
            participants=participants,
            join_waitlist=join_waitlist,
            held_from_here=held_from_here,
            language=language,
            discount_code=discount_code,
            now=now,
            waiting_first=False,
        )
    logger.info("enrollment %s: %s", enrollment.reference, enrollment.status)
    return enrollment


def payment_request(enrollment: Enrollment) -> PaymentRequest:
    """What billing is asked to collect for the booking, described in full: always exactly
    the booking's amount."""
    session = enrollment.session
    seats, amount = enrollment.seats, enrollment.amount_cents
    what = f"{session.display_title}, {session.starts_at:%d %b %Y}"
    # A line of seats at their price; an amount that does not divide by the seats is one
    # line for them all, so that not a cent is lost to rounding.
    line = (
        Line(description=what, quantity=seats, unit_price_cents=amount // seats)
        if amount % seats == 0
        else Line(description=f"{what}, {seats} seats", quantity=1, unit_price_cents=amount)
    )
    return PaymentRequest(
        payable=enrollment,
        reference=enrollment.reference,
        currency=enrollment.currency,
        lines=(line,),
        email=enrollment.email,
        # Back through the Checkout Session's id: the booking's own link stays ours.
        success_url=f"{settings.SITE_URL}/payments/checkout/{{CHECKOUT_SESSION_ID}}/",
        cancel_url=f"{settings.SITE_URL}/payments/checkout/cancelled/",
        pay_by=enrollment.hold_expires_at,
    )


# Seats held for payment from one address are counted in Redis; if it fails, the cap goes
# with it, as the throttles do.
HOLD_CAP = "caps on seats held per address"


def enrollment_create(*, from_address: str = "", **hold: Any) -> tuple[Enrollment, Payment | None]:
    """Hold seats (one transaction), then ask Stripe how to pay (outside it). A hold for
    payment is counted against `from_address`, the client's (MAX_ACTIVE_HOLDS_PER_ADDRESS).

    If Stripe cannot be reached the hold is released at once and `PaymentUnavailable`
    propagates: the person is told to try again, and no seat stays blocked.
    """
    held_here = f"holds-from:{from_address}"
    if from_address:
        hold["held_from_here"] = fail_open(HOLD_CAP, lambda: hits(held_here), 0)
    enrollment = enrollment_hold(**hold)
    if enrollment.status != Status.PENDING_PAYMENT:
        return enrollment, None
    if from_address:
        window = settings.ENROLLMENT_HOLD_MINUTES * 60
        fail_open(HOLD_CAP, lambda: count_hit(held_here, window), None)
    try:
        return enrollment, payment_start(request=payment_request(enrollment))
    except PaymentUnavailable:
        enrollment_release_hold(enrollment_id=enrollment.pk)
        raise


def enrollment_pay(*, enrollment_id: int, now: datetime | None = None) -> Payment:
    """A way to pay for a held or offered seat (the waitlist offer's link, or a retry)."""
    now = now or timezone.now()
    enrollment = Enrollment.objects.select_related("session__offering").get(pk=enrollment_id)
    if enrollment.status not in Enrollment.HOLDING or (
        enrollment.hold_expires_at and enrollment.hold_expires_at <= now
    ):
        raise Conflict(
            gettext("There is nothing to pay for this booking right now."), code="nothing_to_pay"
        )
    return payment_start(request=payment_request(enrollment))


def enrollment_release_hold(*, enrollment_id: int, now: datetime | None = None) -> None:
    now = now or timezone.now()
    with transaction.atomic():
        enrollment = Enrollment.objects.get(pk=enrollment_id)
        session = lock_session(enrollment.session_id)
        released = Enrollment.objects.filter(
            pk=enrollment_id, status__in=Enrollment.HOLDING
        ).update(status=Status.EXPIRED, updated_at=now)
        if released:
            catalog_cache.catalog_changed()  # an update() sends no signal
            events.publish(BookingExpired(enrollment_id=enrollment_id))
            offer_freed_seats(session, now)


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
            session = lock_session(session_id)
            lapsed = list(
                Enrollment.objects.select_for_update().filter(
                    session=session, status__in=Enrollment.HOLDING, hold_expires_at__lte=now
                )
            )
            for enrollment in lapsed:
                enrollment.status = Status.EXPIRED
                enrollment.save(update_fields=["status", "updated_at"])
                events.publish(BookingExpired(enrollment_id=enrollment.pk))
                mail_queue(
                    kind="hold_expired",
                    to=enrollment.email,
                    context=booking_context(enrollment),
                    related=enrollment,
                    language=enrollment.language,
                )
            expired += len(lapsed)
            offer_freed_seats(session, now)
    return expired


def private_booking_create(
    *,
    session_id: int,
    name: str,
    email: str,
    organization: str,
    seats: int,
    amount_cents: int,
    language: str,
    hold_for_payment: bool,
    participants: Sequence[ParticipantInput] = (),
    now: datetime | None = None,
) -> Enrollment:
    """Inside the caller's transaction, under the private session's lock: its seats for
    the one it is for (an accepted proposal), confirmed when paid by invoice (or free), else
    held for payment by card. The confirmation goes out as for any booking."""
    now = now or timezone.now()
    session = lock_session(session_id)
    check_open(session, now)
    if seats > seats_left(session, now):
        raise SessionFull()
    enrollment = new_booking(
        session,
        name=name,
        email=email,
        organization=organization,
        seats=seats,
        amount_cents=amount_cents,
        language=language,
        now=now,
    )
    if hold_for_payment and amount_cents > 0:
        enrollment.status = Status.PENDING_PAYMENT
        enrollment.hold_expires_at = now + timedelta(minutes=settings.ENROLLMENT_HOLD_MINUTES)
    else:
        enrollment.status = Status.CONFIRMED
        enrollment.confirmed_at = now
    enrollment.save()
    name_participants(enrollment, participants, purchaser_attends=False)
    if enrollment.status == Status.CONFIRMED:
        announce_confirmed(enrollment)
    logger.info("private booking %s: %s", enrollment.reference, enrollment.status)
    return enrollment


def private_booking_confirm_paid(*, enrollment_id: int, now: datetime | None = None) -> bool:
    """What a booking's invoice was for came in (paid by card on its page): confirm the
    held seats, even after the hold lapsed if they are still free (DESIGN.md invariant 3).
    False when they can no longer be given (the session was cancelled or has begun)."""
    now = now or timezone.now()
    with transaction.atomic():
        session, enrollment = lock_booking(enrollment_id)
        if enrollment.status == Status.CONFIRMED:
            return True
        holding = (
            enrollment.status in Enrollment.HOLDING
            and enrollment.hold_expires_at is not None
            and enrollment.hold_expires_at > now
        )
        lapsed = enrollment.status in (*Enrollment.HOLDING, Status.EXPIRED)
        if lapsed and (
            holding
            or (session.accepts_enrollments(now) and enrollment.seats <= seats_left(session, now))
        ):
            confirm(enrollment, now)
            return True
    return False
