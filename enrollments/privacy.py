"""Bookings' personal data: who booked (name, address, organization), who attends, and the
answers kept for retried requests. Seats, amounts and statuses stay for the statistics."""

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from config.privacy import Fields, PersonsRecords, declare_free, declare_history_free
from config.references import new_token
from enrollments.models import DiscountCode, Enrollment, IdempotencyKey, Participant

# How long the first answer to a create request is kept for a retry with the same key.
IDEMPOTENCY_HOURS = 24


def _past_retention(now: datetime) -> datetime:
    return now - timedelta(days=settings.PERSONAL_DATA_RETENTION_DAYS)


def _anonymize_bookings(bookings: QuerySet[Enrollment], now: datetime) -> int:
    count = 0
    for booking in bookings.filter(anonymized_at__isnull=True).only("pk"):
        # A new token: the old booking link leads nowhere once its holder is forgotten.
        Enrollment.objects.filter(pk=booking.pk).update(
            name="", email="", organization="", token=new_token(), anonymized_at=now
        )
        count += 1
    return count


def _anonymize_participants(participants: QuerySet[Participant]) -> int:
    return participants.exclude(name="", email="", registration_number="").update(
        name="", email="", registration_number=""
    )


class Bookings:
    kind = "bookings"
    fields: Fields = {Enrollment: ("name", "email", "organization")}

    def purge(self, *, now: datetime) -> int:
        ended = Enrollment.objects.filter(session__ends_at__lt=_past_retention(now))
        return _anonymize_bookings(ended, now)

    def records_of(self, email: str) -> list[Any]:
        return list(Enrollment.objects.filter(email__iexact=email, anonymized_at__isnull=True))

    def contexts_of(self, records: list[Any]) -> list[Any]:
        return records

    def erase(self, *, email: str, records: PersonsRecords, now: datetime, by: Any) -> int:
        return _anonymize_bookings(Enrollment.objects.filter(email__iexact=email), now)

    def export(self, *, email: str) -> list[dict[str, Any]]:
        bookings = Enrollment.objects.filter(email__iexact=email).select_related(
            "session__offering"
        )
        return [
            {
                "reference": booking.reference,
                "session": booking.session.display_title,
                "starts_at": booking.session.starts_at.isoformat(),
                "seats": booking.seats,
                "status": booking.status,
                "amount_cents": booking.amount_cents,
                "currency": booking.currency,
                "name": booking.name,
                "email": booking.email,
                "organization": booking.organization,
                "booked_at": booking.created_at.isoformat(),
            }
            for booking in bookings.order_by("created_at")
        ]


class Participants:
    kind = "participants"
    fields: Fields = {Participant: ("name", "email", "registration_number")}

    def purge(self, *, now: datetime) -> int:
        ended = Participant.objects.filter(enrollment__session__ends_at__lt=_past_retention(now))
        return _anonymize_participants(ended)

    def records_of(self, email: str) -> list[Any]:
        return list(Participant.objects.filter(email__iexact=email))

    def contexts_of(self, records: list[Any]) -> list[Any]:
        return [*records, *(participant.enrollment for participant in records)]

    def erase(self, *, email: str, records: PersonsRecords, now: datetime, by: Any) -> int:
        return _anonymize_participants(Participant.objects.filter(email__iexact=email))

    def export(self, *, email: str) -> list[dict[str, Any]]:
        attending = Participant.objects.filter(email__iexact=email).select_related(
            "enrollment__session__offering"
        )
        return [
            {
                "booking": participant.enrollment.reference,
                "session": participant.enrollment.session.display_title,
                "starts_at": participant.enrollment.session.starts_at.isoformat(),
                "name": participant.name,
                "email": participant.email,
                "registration_number": participant.registration_number,
                "attendance": participant.attendance,
                "minutes_attended": participant.minutes_attended,
            }
            for participant in attending.order_by("created_at")
        ]


class RetriedRequests:
    """The first answer to a create request (it holds the secret booking link), kept a day."""

    kind = "retried requests"
    fields: Fields = {IdempotencyKey: ("key", "request_hash", "response")}

    def purge(self, *, now: datetime) -> int:
        cutoff = now - timedelta(hours=IDEMPOTENCY_HOURS)
        deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
        return deleted

    def _answering(self, references: list[str]) -> QuerySet[IdempotencyKey]:
        return IdempotencyKey.objects.filter(response__reference__in=references)

    def records_of(self, email: str) -> list[Any]:
        bookings = Enrollment.objects.filter(email__iexact=email)
        return list(self._answering(list(bookings.values_list("reference", flat=True))))

    def contexts_of(self, records: list[Any]) -> list[Any]:
        return []

    def erase(self, *, email: str, records: PersonsRecords, now: datetime, by: Any) -> int:
        # By the bookings found before any was anonymized.
        bookings = records.by_kind.get("bookings", [])
        references = [booking.reference for booking in bookings if isinstance(booking, Enrollment)]
        deleted, _ = self._answering(references).delete()
        return deleted

    def export(self, *, email: str) -> list[dict[str, Any]]:
        return []  # a copy of a booking's first answer: the bookings say it all


declare_free(
    Enrollment,
    "reference",
    "token",
    "currency",
    "language",
    why=(
        "our reference, the secret link's token (rotated when anonymized), a currency "
        "code and a language code"
    ),
)
declare_history_free(Enrollment)

declare_free(Participant, "token", why="a key to the participant's own page, nothing about them")
declare_free(
    DiscountCode,
    "code",
    "label",
    "kind",
    "currency",
    why=(
        "the practice's own code and what it is for (its help text asks for no names), a "
        "kind and a currency code; whose booking used it, the booking says"
    ),
)
declare_history_free(DiscountCode)
