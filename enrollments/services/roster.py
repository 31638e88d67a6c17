"""Who attends on a booking's seats: confirmations, the named participants, attendance."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from config import events
from config.errors import Conflict, InvalidInput
from enrollments.events import BookingConfirmed, RosterChanged
from enrollments.models import Enrollment, Participant
from enrollments.services import alerts
from enrollments.services.emails import booking_context, participant_url, same_person
from outbox.services import mail_queue, recipients_check
from workshops.calendar import session_calendar

Status = Enrollment.Status


@dataclass(frozen=True)
class ParticipantInput:
    name: str
    email: str


class RosterChangesUsed(Conflict):
    code = "roster_changes_used"
    message = _(
        "This participant list has been changed many times, so it can no longer be changed "
        "here. Please write to us with the names and we'll update it for you."
    )


class RosterClosed(Conflict):
    code = "roster_closed"
    message = _(
        "The participant list can no longer be changed here. Please write to us and we will help."
    )


def queue_confirmations(
    enrollment: Enrollment,
    *,
    only: Sequence[Participant] | None = None,
    receipt: Mapping[str, str] | None = None,
) -> None:
    """The purchaser's confirmation, and each named participant's own with the calendar file.

    With `only`, just those participants are written to (people added to the roster later).
    A paid booking's confirmation carries its `receipt` (the invoice's number and link).
    """
    session = enrollment.session
    participants = list(enrollment.participants.all())
    if only is None:
        attending = not participants or any(
            same_person(p.email, enrollment.email) for p in participants
        )
        link = session.joining_link if attending else ""
        own = next((p for p in participants if same_person(p.email, enrollment.email)), None)
        mail_queue(
            kind="enrollment_confirmation",
            to=enrollment.email,
            context=booking_context(
                enrollment,
                attending=attending,
                meeting_link=link,
                participants=participants,
                receipt=receipt,
                participant_url=participant_url(own) if own else "",
            ),
            related=enrollment,
            attachments=[session_calendar(session, meeting_link=link, language=enrollment.language)]
            if attending
            else [],
            language=enrollment.language,
        )
    for participant in only if only is not None else participants:
        if same_person(participant.email, enrollment.email) and only is None:
            continue  # the purchaser's own confirmation already says everything
        link = session.joining_link
        mail_queue(
            kind="participant_confirmation",
            to=participant.email,
            context=booking_context(
                enrollment,
                participant=participant,
                meeting_link=link,
                participant_url=participant_url(participant),
            ),
            related=enrollment,
            attachments=[
                session_calendar(session, meeting_link=link, language=enrollment.language)
            ],
            language=enrollment.language,
        )


def announce_confirmed(
    enrollment: Enrollment,
    *,
    receipt: Mapping[str, str] | None = None,
    tell_practice: bool = True,
) -> None:
    """Inside the change that confirmed the booking: the emails it owes, and the event; the
    practice's alert unless the practice made the booking itself."""
    queue_confirmations(enrollment, receipt=receipt)
    if tell_practice:
        alerts.tell_booked(enrollment)
    events.publish(BookingConfirmed(enrollment_id=enrollment.pk))


def confirm(
    enrollment: Enrollment, now: datetime, *, receipt: Mapping[str, str] | None = None
) -> None:
    """Inside the caller's transaction, under the session's lock: the seats are the booking's."""
    enrollment.status = Status.CONFIRMED
    enrollment.confirmed_at = now
    enrollment.save(update_fields=["status", "confirmed_at", "updated_at"])
    announce_confirmed(enrollment, receipt=receipt)


def roster_closes_at(enrollment: Enrollment) -> datetime:
    """`ROSTER_CLOSES_HOURS_BEFORE` the session starts: the practice prepares from then on."""
    return enrollment.session.starts_at - timedelta(hours=settings.ROSTER_CLOSES_HOURS_BEFORE)


def roster_open(enrollment: Enrollment, *, now: datetime) -> bool:
    """Whether who attends may still be changed by the booking's link."""
    return enrollment.status in Enrollment.CANCELLABLE and now < roster_closes_at(enrollment)


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
        if not roster_open(enrollment, now=now):
            raise RosterClosed()
        if enrollment.roster_changes >= settings.MAX_ROSTER_CHANGES:
            raise RosterChangesUsed()
        if len(participants) > enrollment.seats:
            raise InvalidInput(
                fields={
                    # English keeps its one wording; the count lets a translation agree.
                    "participants": [
                        ngettext(
                            "This booking has %(seats)s seat(s), so at most %(seats)s "
                            "participant(s) can be named.",
                            "This booking has %(seats)s seat(s), so at most %(seats)s "
                            "participant(s) can be named.",
                            enrollment.seats,
                        )
                        % {"seats": enrollment.seats}
                    ]
                }
            )
        existing = {p.email.lower(): p for p in enrollment.participants.all()}
        wanted = {p.email.lower(): p for p in participants}
        if enrollment.status == Status.CONFIRMED:  # each new one gets a confirmation
            recipients_check([email for email in wanted if email not in existing])
        removed = []
        for key, participant in existing.items():
            if key not in wanted:
                removed.append(participant.email)
                if enrollment.status == Status.CONFIRMED:
                    tell_taken_off(enrollment, participant)
                participant.delete()
        added = []
        renamed = 0
        for key, person in wanted.items():
            if key in existing:
                renamed += (
                    Participant.objects.filter(pk=existing[key].pk)
                    .exclude(name=person.name)
                    .update(name=person.name)
                )
            else:
                added.append(
                    Participant.objects.create(
                        enrollment=enrollment, name=person.name, email=person.email
                    )
                )
        if enrollment.status == Status.CONFIRMED and added:
            queue_confirmations(enrollment, only=added)
        if added or removed or renamed:
            Enrollment.objects.filter(pk=enrollment.pk).update(
                roster_changes=F("roster_changes") + 1
            )
            events.publish(
                RosterChanged(
                    enrollment_id=enrollment.pk,
                    added=tuple(p.pk for p in added),
                    removed=tuple(removed),
                )
            )
    return enrollment


def tell_taken_off(enrollment: Enrollment, participant: Participant) -> None:
    """Someone taken off a confirmed booking's roster hears so, with a calendar entry that
    takes the session out of their agenda (the purchaser knows: they made the change)."""
    if same_person(participant.email, enrollment.email):
        return
    session = enrollment.session
    mail_queue(
        kind="participant_removed",
        to=participant.email,
        context=booking_context(enrollment, participant=participant),
        related=enrollment,
        attachments=[session_calendar(session, cancelled=True, language=enrollment.language)],
        language=enrollment.language,
    )


def enrollment_resend_confirmation(*, enrollment_id: int) -> bool:
    with transaction.atomic():
        enrollment = Enrollment.objects.select_related("session__offering").get(pk=enrollment_id)
        if enrollment.status != Status.CONFIRMED:
            return False
        queue_confirmations(enrollment)
    return True


def participant_set_registration_number(*, participant_id: int, number: str) -> Participant:
    """The participant's professional registration number, for their certificates."""
    number = " ".join(number.split())
    if len(number) > 60:
        raise InvalidInput(
            fields={"registration_number": [gettext("At most 60 characters, please.")]}
        )
    participant = Participant.objects.get(pk=participant_id)
    if participant.registration_number != number:
        participant.registration_number = number
        participant.save(update_fields=["registration_number"])
    return participant
