"""Output serializers of the staff API: what another system may read, field by field."""

from typing import Any

from rest_framework import serializers

from config.money import format_amount
from enrollments.models import Enrollment, Participant
from inquiries.models import Inquiry
from workshops.models import Session


class StaffSessionOutput(serializers.ModelSerializer[Session]):
    offering = serializers.SerializerMethodField()
    title = serializers.CharField(source="display_title")
    seats_taken = serializers.IntegerField()
    seats_left = serializers.IntegerField()

    class Meta:
        model = Session
        fields = [
            "id",
            "offering",
            "title",
            "starts_at",
            "ends_at",
            "timezone",
            "location",
            "meeting_link",
            "is_public",
            "organization",
            "status",
            "capacity",
            "seats_taken",
            "seats_left",
        ]

    def get_offering(self, session: Session) -> dict[str, Any]:
        offering = session.offering
        return {"id": offering.pk, "slug": offering.slug, "kind": offering.kind}


class StaffParticipantOutput(serializers.ModelSerializer[Participant]):
    booking = serializers.CharField(source="enrollment.reference")

    class Meta:
        model = Participant
        fields = ["id", "name", "email", "booking", "attendance", "minutes_attended"]


class StaffEnrollmentOutput(serializers.ModelSerializer[Enrollment]):
    amount = serializers.SerializerMethodField()

    class Meta:
        model = Enrollment
        fields = [
            "reference",
            "session",
            "status",
            "seats",
            "name",
            "email",
            "organization",
            "amount",
            "currency",
            "by_hand",
            "created_at",
            "confirmed_at",
        ]

    def get_amount(self, enrollment: Enrollment) -> str:
        return format_amount(enrollment.amount_cents, enrollment.currency)


class StaffInquiryOutput(serializers.ModelSerializer[Inquiry]):
    message = serializers.SerializerMethodField(
        help_text="Only for a token whose account may read inquiry messages; else null."
    )

    class Meta:
        model = Inquiry
        fields = [
            "reference",
            "kind",
            "status",
            "urgent",
            "source",
            "name",
            "email",
            "phone",
            "organization",
            "team_size",
            "offering",
            "preferred_dates",
            "message",
            "language",
            "created_at",
        ]

    def get_message(self, inquiry: Inquiry) -> str | None:
        return inquiry.message if self.context.get("reads_messages") else None
