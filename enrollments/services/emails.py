"""What every email about a booking is written with."""

from typing import Any

from django.conf import settings

from config.money import amount_for_people
from enrollments.models import Enrollment, Participant
from workshops.calendar import describe_when
from workshops.models import Offering


def booking_url(enrollment: Enrollment) -> str:
    """The booking's own page: the secret link in every email about it."""
    return f"{settings.SITE_URL}/enrollments/{enrollment.token}/"


def participant_url(participant: Participant) -> str:
    """A participant's own page: their session, survey and certificates (DESIGN.md)."""
    return f"{settings.SITE_URL}/participants/{participant.token}/"


def booking_context(enrollment: Enrollment, **extra: Any) -> dict[str, Any]:
    session = enrollment.session
    return {
        "enrollment": enrollment,
        "session": session,
        "when": describe_when(session),
        "amount": amount_for_people(enrollment.amount_cents, enrollment.currency),
        "booking_url": booking_url(enrollment),
        "roster_hours": settings.ROSTER_CLOSES_HOURS_BEFORE,
        # Personal guidance: subjects that never say what it is about (outbox.mail_queue).
        "discreet": session.offering.kind == Offering.Kind.COACHING,
        **extra,
    }


def same_person(a: str, b: str) -> bool:
    """Two email addresses that reach the same person, whatever their case or spacing."""
    return a.strip().lower() == b.strip().lower()
