"""What the practice hears of bookings (`PRACTICE_ALERTS`: at once, in a digest, or not):
each new booking, and each confirmed booking that ends. References, never names."""

from config.money import format_amount
from enrollments.models import Enrollment
from outbox.services import alert_practice


def _what(enrollment: Enrollment) -> str:
    paid = (
        f"{format_amount(enrollment.amount_cents, enrollment.currency)} {enrollment.currency}"
        if enrollment.amount_cents
        else "free"
    )
    return f"{enrollment.seats} seat(s) in {enrollment.session}, {paid}"


def tell_booked(enrollment: Enrollment) -> None:
    alert_practice(
        kind="booking_confirmed",
        text=f"New booking {enrollment.reference}: {_what(enrollment)}.",
        related=enrollment,
        once=True,  # confirmed once, whatever path the confirmation took
    )


def tell_ended(enrollment: Enrollment) -> None:
    """A confirmed booking cancelled, or refunded in full (its refund is told on its own)."""
    ended = "refunded in full" if enrollment.status == Enrollment.Status.REFUNDED else "cancelled"
    alert_practice(
        kind="booking_cancelled",
        text=f"Booking {enrollment.reference} was {ended}: {_what(enrollment)}.",
        related=enrollment,
    )
