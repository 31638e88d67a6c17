"""What enrollments reports about bookings, for the apps above it (integrations, certificates).

Each is published inside the transaction of the change; see `config/events.py`.
"""

from dataclasses import dataclass

from config.events import Event


@dataclass(frozen=True)
class BookingConfirmed(Event):
    """The booking's seats are its own: paid, free, or taken from the waitlist."""

    enrollment_id: int


@dataclass(frozen=True)
class BookingCancelled(Event):
    """The booking ended, cancelled or refunded in full: given up by the person or the
    practice, refunded at Stripe, or paid too late for a seat (refunded at once)."""

    enrollment_id: int


@dataclass(frozen=True)
class BookingExpired(Event):
    """Seats held for payment were released: the hold (or a waitlist offer) lapsed unpaid,
    or paying could not start."""

    enrollment_id: int


@dataclass(frozen=True)
class BookingMoved(Event):
    """The practice moved a confirmed booking to another session of the same offering."""

    enrollment_id: int
    from_session_id: int


@dataclass(frozen=True)
class RosterChanged(Event):
    """The named participants of a booking changed: someone added, taken off or renamed."""

    enrollment_id: int
    added: tuple[int, ...]  # participant ids
    removed: tuple[str, ...]  # the email addresses taken off
