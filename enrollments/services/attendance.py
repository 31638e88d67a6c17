"""Who came: attendance kept per participant of a session (DESIGN.md, Waitlist, attendance).

Marked on the session's roster in the admin by coordinators and the session's facilitators;
follow-up surveys go to those not marked absent, certificates to those present throughout.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from config.errors import InvalidInput
from enrollments.models import Participant
from enrollments.selectors import roster_of
from workshops.models import Session

Attendance = Participant.Attendance


@dataclass(frozen=True)
class Mark:
    attendance: str
    minutes: int | None = None


def mark_problem(mark: Mark, *, session_minutes: int) -> str | None:
    """Why a mark cannot be kept, in the coordinator's words; None when it can."""
    if mark.attendance not in Attendance.values:
        return "Choose present, absent or part of the session."
    if mark.attendance != Attendance.PARTIAL:
        return None if mark.minutes is None else "Minutes are only for part of the session."
    if mark.minutes is None or not 1 <= mark.minutes < session_minutes:
        return f"For part of the session, give the minutes attended: 1 to {session_minutes - 1}."
    return None


def attendance_mark(
    *, session_id: int, marks: Mapping[int, Mark], now: datetime | None = None
) -> list[Participant]:
    """Keep the marks given for participants of the session's confirmed bookings, all or none.

    Returns the participants whose attendance changed. A participant who is not on the
    session's roster (a booking cancelled meanwhile, another session's) is refused by id.
    """
    now = now or timezone.now()
    with transaction.atomic():
        session = Session.objects.select_related("offering").get(pk=session_id)
        session_minutes = session.offering.duration_minutes
        on_roster = {
            participant.pk: participant
            for participant in roster_of(session.pk).filter(pk__in=list(marks)).select_for_update()
        }
        problems: dict[str, list[str]] = {}
        for participant_id, mark in marks.items():
            if participant_id not in on_roster:
                problems[str(participant_id)] = ["This person is no longer on the roster."]
            elif problem := mark_problem(mark, session_minutes=session_minutes):
                problems[str(participant_id)] = [problem]
        if problems:
            raise InvalidInput("Some marks need another look.", fields=problems)
        changed = []
        for participant_id, mark in marks.items():
            participant = on_roster[participant_id]
            kept = (participant.attendance, participant.minutes_attended)
            if kept == (mark.attendance, mark.minutes):
                continue
            participant.attendance, participant.minutes_attended = mark.attendance, mark.minutes
            participant.attendance_marked_at = now if mark.attendance else None
            changed.append(participant)
        Participant.objects.bulk_update(
            changed, ["attendance", "minutes_attended", "attendance_marked_at"]
        )
    return changed
