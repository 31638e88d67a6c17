"""Bookings the practice makes or changes by hand in the admin, through the same seat rules,
emails and invoices as the ones people make themselves: a booking on the phone (paid from
its link), a complimentary seat, a move to another date, some seats of a booking given up."""

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from billing.models import Refund
from billing.selectors import refundable_cents
from billing.services.invoices import BilledLine, invoice_issue
from billing.services.refunds import refund_create
from config import events
from config.errors import Conflict, InvalidInput
from config.money import amount_for_people
from enrollments.events import BookingMoved, RosterChanged
from enrollments.models import Enrollment, Participant
from enrollments.services.cancellation import cancellation_terms, refund_text
from enrollments.services.emails import booking_context, same_person
from enrollments.services.holds import name_participants, new_booking
from enrollments.services.receipts import booking_amount, booking_buyer, tax_rule_of
from enrollments.services.roster import ParticipantInput, announce_confirmed, tell_taken_off
from enrollments.services.seats import lock_session, seats_left_to_newcomers
from enrollments.services.waitlist import offer_freed_seats, waitlist_offer_on
from outbox.services import mail_queue, recipients_check
from workshops.calendar import describe_when, session_calendar
from workshops.models import Session

Status = Enrollment.Status


def _check_bookable(session: Session, seats: int, now: datetime) -> None:
    """The practice may book a session past its online deadline, never once it has begun;
    and only into seats nobody waiting could use (DESIGN.md, fair waitlist)."""
    if session.status != Session.Status.SCHEDULED or session.starts_at <= now:
        raise Conflict(
            "This session has begun, or is not scheduled: it cannot be booked.",
            code="session_closed",
        )
    left, someone_waiting_fits = seats_left_to_newcomers(session, now)
    if someone_waiting_fits or seats > left:
        raise Conflict(
            f"Only {left} seat(s) can be given in this session now: the others are taken, "
            "held, or wanted by people on its waitlist (raise the capacity to make room).",
            code="not_enough_seats",
        )


def booking_by_hand(
    *,
    session_id: int,
    name: str,
    email: str,
    organization: str = "",
    seats: int = 1,
    participants: Sequence[ParticipantInput] = (),
    language: str = "",
    complimentary: bool = False,
    now: datetime | None = None,
) -> Enrollment:
    """A booking the practice takes on the phone: its seats held for
    `WAITLIST_OFFER_HOURS` (never past the start) and its link emailed, to pay on the
    booking page in either payment flow; or, `complimentary`, confirmed at once for nothing.
    The person's agreement to the privacy policy is the practice's to ask on the phone."""
    now = now or timezone.now()
    if not 1 <= seats <= settings.MAX_SEATS_PER_BOOKING:
        raise InvalidInput(fields={"seats": [f"From 1 to {settings.MAX_SEATS_PER_BOOKING} seats."]})
    if len(participants) > seats:
        raise InvalidInput(fields={"participants": ["More people named than seats booked."]})
    recipients_check([email, *(participant.email for participant in participants)])
    waitlist_offer_on(session_id=session_id, now=now)  # seats freed but not yet offered on
    with transaction.atomic():
        session = lock_session(session_id)
        _check_bookable(session, seats, now)
        amount = 0 if complimentary else booking_amount(session, seats)
        enrollment = new_booking(
            session,
            name=name,
            email=email,
            organization=organization,
            seats=seats,
            amount_cents=amount,
            language=language,
            now=now,
            by_hand=True,
        )
        if amount == 0:
            enrollment.status, enrollment.confirmed_at = Status.CONFIRMED, now
        else:
            enrollment.status = Status.OFFERED
            enrollment.hold_expires_at = min(
                now + timedelta(hours=settings.WAITLIST_OFFER_HOURS), session.starts_at
            )
        enrollment.save()
        name_participants(enrollment, participants)
        if enrollment.status == Status.CONFIRMED:
            announce_confirmed(enrollment, tell_practice=False)
        else:
            mail_queue(
                kind="booked_by_hand",
                to=email,
                context=booking_context(enrollment),
                related=enrollment,
                language=enrollment.language,
            )
    return enrollment


def _lock_confirmed(enrollment_id: int, *also: int) -> tuple[Enrollment, dict[int, Session]]:
    """The booking's session and `also` locked in the order of their ids (two changes that
    lock the same two sessions never wait on each other), then the confirmed booking."""
    session_id = Enrollment.objects.values_list("session_id", flat=True).get(pk=enrollment_id)
    sessions = {pk: lock_session(pk) for pk in sorted({session_id, *also})}
    enrollment = (
        Enrollment.objects.select_for_update(of=("self",))
        .select_related("session__offering")
        .get(pk=enrollment_id)
    )
    if enrollment.status != Status.CONFIRMED:
        raise Conflict("Only a confirmed booking can be changed here.", code="not_confirmed")
    return enrollment, sessions


def enrollment_cancel_seats(
    *,
    enrollment_id: int,
    seats: int,
    taken_off: Sequence[int] = (),
    by: Any = None,
    now: datetime | None = None,
) -> tuple[Enrollment, int]:
    """Some seats of a confirmed booking given up, with their share refunded by the
        cancellation policy (in full until CANCELLATION_FULL_REFUND_DAYS before, then nothing);
        `taken_off` names the participants who no longer come (told, with a cancelling calendar
        entry). The seats are offered to those waiting. Returns the booking and the refund, which
    is `by` the staff member (not an automatic one the practice would be told of)."""
    now = now or timezone.now()
    with transaction.atomic():
        enrollment, sessions = _lock_confirmed(enrollment_id)
        session = sessions[enrollment.session_id]
        if not 1 <= seats < enrollment.seats:
            raise InvalidInput(
                fields={
                    "seats": [
                        f"From 1 to {enrollment.seats - 1}: to give up every seat, cancel the "
                        "booking."
                    ]
                }
            )
        if session.starts_at <= now:
            raise Conflict("The session has begun: its seats can no longer be given up.")
        kept = enrollment.seats - seats
        named = {p.pk: p for p in enrollment.participants.all()}
        leaving = [named[pk] for pk in taken_off if pk in named]
        if len(leaving) != len(set(taken_off)):
            raise InvalidInput(fields={"taken_off": ["Choose people named on this booking."]})
        if len(named) - len(leaving) > kept:
            raise InvalidInput(
                fields={
                    "taken_off": [
                        f"{len(named)} people are named for {enrollment.seats} seats: choose "
                        f"who no longer comes, so that at most {kept} remain."
                    ]
                }
            )
        share = enrollment.amount_cents * seats // enrollment.seats
        policy = cancellation_terms(enrollment, now=now)
        refund = min(share, refundable_cents(enrollment)) if policy.refund_cents else 0
        if refund:
            refund_create(
                payable=enrollment,
                amount_cents=refund,
                reason=Refund.Reason.CANCELLATION,
                created_by=by,
            )
        enrollment.seats, enrollment.amount_cents = kept, enrollment.amount_cents - share
        enrollment.save(update_fields=["seats", "amount_cents", "updated_at"])
        Participant.objects.filter(pk__in=[p.pk for p in leaving]).delete()
        for participant in leaving:
            tell_taken_off(enrollment, participant)
        mail_queue(
            kind="seats_cancelled",
            to=enrollment.email,
            context=booking_context(
                enrollment,
                seats_given_up=seats,
                refund=refund_text(enrollment, refund),
                not_refunded=share > refund,
            ),
            related=enrollment,
            language=enrollment.language,
        )
        if leaving:
            removed = tuple(p.email for p in leaving)
            events.publish(RosterChanged(enrollment_id=enrollment.pk, added=(), removed=removed))
        offer_freed_seats(session, now)
    return enrollment, refund


def enrollment_transfer(
    *, enrollment_id: int, to_session_id: int, by: Any = None, now: datetime | None = None
) -> tuple[Enrollment, int]:
    """A confirmed booking moved to another session of the same offering, under both
    sessions' locks. A price difference is refunded (a cheaper date) or invoiced (a dearer
    one: the invoice's page takes a card or a bank transfer). Everyone on it is told, with
    a calendar entry taking out the old date and one for the new. Returns the booking and
    the difference (positive: invoiced; negative: refunded)."""
    now = now or timezone.now()
    with transaction.atomic():
        enrollment, sessions = _lock_confirmed(enrollment_id, to_session_id)
        source, target = sessions[enrollment.session_id], sessions[to_session_id]
        if target.pk == source.pk or target.offering_id != source.offering_id:
            raise InvalidInput(fields={"session": ["Choose another date of the same offering."]})
        _check_bookable(target, enrollment.seats, now)
        # A seat given for nothing (complimentary, free) stays so; else the dates' prices.
        difference = (
            booking_amount(target, enrollment.seats) - booking_amount(source, enrollment.seats)
            if enrollment.amount_cents
            else 0
        )
        if difference < 0:
            back = min(-difference, refundable_cents(enrollment))
            if back:
                refund_create(
                    payable=enrollment, amount_cents=back, reason=Refund.Reason.ADMIN, created_by=by
                )
            difference = -back
        old_session = enrollment.session
        enrollment.session = target
        enrollment.amount_cents += difference
        enrollment.save(update_fields=["session", "amount_cents", "updated_at"])
        if difference > 0:
            with translation.override(enrollment.language):
                described = gettext("Moved to %(title)s, %(when)s: the difference in price") % {
                    "title": target.display_title,
                    "when": describe_when(target),
                }
            invoice_issue(
                buyer=booking_buyer(enrollment),
                lines=[
                    BilledLine(
                        description=described,
                        quantity=1,
                        unit_price_cents=difference,
                        tax=tax_rule_of(target),
                    )
                ],
                currency=enrollment.currency,
                payable=enrollment,
                reference=enrollment.reference,
                language=enrollment.language,
                by=by,
                now=now,
            )
        _tell_moved(enrollment, old_session, difference)
        events.publish(BookingMoved(enrollment_id=enrollment.pk, from_session_id=source.pk))
        offer_freed_seats(source, now)
    return enrollment, difference


def _tell_moved(enrollment: Enrollment, old: Session, difference: int) -> None:
    """The purchaser and each named participant: the new date, with calendar entries that
    take the old one out of their agenda and put the new one in."""
    new = enrollment.session
    people = [(enrollment.email, None)] + [
        (p.email, p)
        for p in enrollment.participants.all()
        if not same_person(p.email, enrollment.email)
    ]
    for address, participant in people:
        mail_queue(
            kind="booking_moved",
            to=address,
            context=booking_context(
                enrollment,
                participant=participant,
                old_when=describe_when(old),
                refund=refund_text(enrollment, -difference) if difference < 0 else None,
                to_pay=amount_for_people(difference, enrollment.currency)
                if difference > 0
                else None,
            ),
            related=enrollment,
            attachments=[
                session_calendar(old, cancelled=True, language=enrollment.language),
                session_calendar(
                    new,
                    meeting_link=new.joining_link,
                    language=enrollment.language,
                ),
            ],
            language=enrollment.language,
        )
