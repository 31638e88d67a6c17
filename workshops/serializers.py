"""Output serializers of the catalog. Nothing here writes; a meeting link is never shown."""

import copy
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.money import format_amount
from workshops.models import Facilitator, Offering, Session, Topic

# Money leaves as a decimal string ("180.00"), never a float (DESIGN.md, HTTP contract).
MONEY = {"type": "string", "format": "decimal", "pattern": r"^-?\d+(\.\d+)?$", "example": "180.00"}


@extend_schema_field(MONEY)
class MoneyField(serializers.CharField):
    """An amount already formatted by `config.money.format_amount`."""


class FieldsBuiltOnce:
    """A ModelSerializer builds its fields from the model for every instance it is made
    for: 1.4 ms of a session's 4.7 ms answer (cProfile). They are the same each time, so
    each class builds them once and every instance gets its own copy to bind."""

    _built: dict[str, serializers.Field[Any, Any, Any, Any]]

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        cls = type(self)
        if "_built" not in cls.__dict__:
            cls._built = super().get_fields()  # type: ignore[misc]
        return copy.deepcopy(cls._built)


class TopicOutput(FieldsBuiltOnce, serializers.ModelSerializer[Topic]):
    class Meta:
        model = Topic
        fields = ["slug", "name"]


class FacilitatorOutput(FieldsBuiltOnce, serializers.ModelSerializer[Facilitator]):
    class Meta:
        model = Facilitator
        fields = ["name", "credentials", "bio"]


class SessionOutput(FieldsBuiltOnce, serializers.ModelSerializer[Session]):
    offering: serializers.SlugRelatedField[Offering] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    title = serializers.CharField(source="display_title")
    format = serializers.CharField(source="offering.format")
    seats_left = serializers.IntegerField()
    price = serializers.SerializerMethodField()
    currency = serializers.CharField(source="offering.currency")
    enrollment_open = serializers.SerializerMethodField()
    waitlist_open = serializers.SerializerMethodField()

    class Meta:
        model = Session
        fields = [
            "id",
            "offering",
            "title",
            "starts_at",
            "ends_at",
            "timezone",
            "format",
            "location",
            "capacity",
            "seats_left",
            "price",
            "currency",
            "status",
            "enrollment_open",
            "waitlist_open",
        ]

    @extend_schema_field(MONEY)
    def get_price(self, session: Session) -> str:
        return format_amount(session.price_cents, session.offering.currency)

    def get_enrollment_open(self, session: Session) -> bool:
        return session.accepts_enrollments(timezone.now()) and session.seats_left > 0  # type: ignore[attr-defined]

    def get_waitlist_open(self, session: Session) -> bool:
        return (
            session.waitlist_enabled
            and session.accepts_enrollments(timezone.now())
            and session.seats_left == 0  # type: ignore[attr-defined]
        )


class OfferingListOutput(FieldsBuiltOnce, serializers.ModelSerializer[Offering]):
    price = serializers.SerializerMethodField()
    topics = TopicOutput(many=True, source="listed_topics")
    facilitators = FacilitatorOutput(many=True, source="listed_facilitators")
    next_session_starts_at = serializers.DateTimeField(allow_null=True)

    class Meta:
        model = Offering
        fields = [
            "slug",
            "kind",
            "title",
            "summary",
            "title_nl",
            "summary_nl",
            "audience",
            "format",
            "duration_minutes",
            "price",
            "currency",
            "ce_hours",
            "topics",
            "facilitators",
            "next_session_starts_at",
        ]

    @extend_schema_field(MONEY)
    def get_price(self, offering: Offering) -> str:
        return format_amount(offering.price_cents, offering.currency)


class OfferingDetailOutput(OfferingListOutput):
    sessions = serializers.SerializerMethodField()

    class Meta(OfferingListOutput.Meta):
        fields = [*OfferingListOutput.Meta.fields, "description", "description_nl", "sessions"]

    @extend_schema_field(SessionOutput(many=True))
    def get_sessions(self, offering: Offering) -> list[dict[str, Any]]:
        return SessionOutput(offering.upcoming_sessions, many=True).data  # type: ignore[attr-defined,return-value]
