"""Input and output serializers of the enrollments API (kept apart, as STYLE.md asks).

Messages here are read by people booking a place."""

from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from billing.models import Payment, Refund
from billing.services.payments import payment_block
from config.money import format_amount
from config.text import language_field, person_name
from enrollments.models import Enrollment
from enrollments.selectors import discount_of
from enrollments.services.cancellation import cancellation_terms
from enrollments.services.roster import ParticipantInput
from workshops.serializers import MONEY, MoneyField, SessionOutput


class ParticipantSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=200)
    email = serializers.EmailField(max_length=254)

    def validate_name(self, name: str) -> str:
        return person_name(name)  # it is written into the purchaser's emails


def _validate_roster(participants: list[dict[str, str]]) -> list[ParticipantInput]:
    most = settings.MAX_SEATS_PER_BOOKING
    if len(participants) > most:
        raise serializers.ValidationError(
            ngettext(
                "At most %(most)s participant can be named.",
                "At most %(most)s participants can be named.",
                most,
            )
            % {"most": most}
        )
    emails = [p["email"].lower() for p in participants]
    if len(set(emails)) != len(emails):
        raise serializers.ValidationError(
            gettext("Each participant needs their own email address.")
        )
    return [ParticipantInput(name=p["name"], email=p["email"]) for p in participants]


class EnrollmentCreateInput(serializers.Serializer[Any]):
    # Only the id's shape is checked here: whether the session can be booked is the
    # service's to say (SessionNotFound), in the read it makes anyway, so a refusal in a
    # rush costs no extra statement.
    session = serializers.IntegerField(
        error_messages={"invalid": _("Please give the session's id as a number.")}
    )
    name = serializers.CharField(max_length=200)
    email = serializers.EmailField(max_length=254)
    organization = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )
    seats = serializers.IntegerField(min_value=1, default=1)
    participants = ParticipantSerializer(many=True, required=False)
    join_waitlist = serializers.BooleanField(default=False)
    discount_code = serializers.CharField(
        max_length=40,
        required=False,
        allow_blank=True,
        default="",
        trim_whitespace=True,
        help_text="Checked against the session when the seats are taken; see discount-codes.",
    )
    consent = serializers.BooleanField()
    language = language_field(
        "Every email about the booking is written in it; else Accept-Language's."
    )

    def validate_name(self, name: str) -> str:
        return person_name(name)  # it is written into the participants' emails

    def validate_consent(self, value: bool) -> bool:
        if not value:
            raise serializers.ValidationError(
                gettext("Please agree to how we keep your details, so we can take your booking.")
            )
        return value

    def validate_participants(self, value: list[dict[str, str]]) -> list[ParticipantInput]:
        return _validate_roster(value)

    def validate_seats(self, seats: int) -> int:
        most = settings.MAX_SEATS_PER_BOOKING
        if seats > most:
            raise serializers.ValidationError(
                ngettext(
                    "A booking can be for up to %(most)s seat. For a larger group, please "
                    "write to us: we'd be glad to plan a session for your team.",
                    "A booking can be for up to %(most)s seats. For a larger group, please "
                    "write to us: we'd be glad to plan a session for your team.",
                    most,
                )
                % {"most": most}
            )
        return seats

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        participants = data.get("participants", [])
        if len(participants) > data["seats"]:
            raise serializers.ValidationError(
                {
                    # English keeps its one wording; the count lets a translation agree.
                    "participants": [
                        ngettext(
                            "You booked %(seats)s seat(s), so at most %(seats)s "
                            "participant(s) can be named.",
                            "You booked %(seats)s seat(s), so at most %(seats)s "
                            "participant(s) can be named.",
                            data["seats"],
                        )
                        % {"seats": data["seats"]}
                    ]
                }
            )
        return data


class ParticipantsReplaceInput(serializers.Serializer[Any]):
    participants = ParticipantSerializer(many=True)

    def validate_participants(self, value: list[dict[str, str]]) -> list[ParticipantInput]:
        return _validate_roster(value)


class PaymentOutput(serializers.Serializer[Any]):
    checkout_url = serializers.URLField(required=False)
    client_secret = serializers.CharField(required=False)
    payment_intent = serializers.CharField(required=False)


class DiscountOutput(serializers.Serializer[Any]):
    code = serializers.CharField()
    amount_off = MoneyField()
    amount = MoneyField(help_text="What remains to pay, as `amount` of the booking.")
    currency = serializers.CharField()


def discount_block(enrollment: Enrollment) -> dict[str, str] | None:
    redemption = discount_of(enrollment)
    if redemption is None:
        return None
    return {
        "code": redemption.code.code,
        "amount_off": format_amount(redemption.amount_off_cents, enrollment.currency),
        "amount": format_amount(enrollment.amount_cents, enrollment.currency),
        "currency": enrollment.currency,
    }


class DiscountQuoteInput(serializers.Serializer[Any]):
    session = serializers.IntegerField(
        error_messages={"invalid": _("Please give the session's id as a number.")}
    )
    seats = serializers.IntegerField(min_value=1, default=1)
    email = serializers.EmailField(
        max_length=254,
        required=False,
        allow_blank=True,
        default="",
        help_text="With it, the answer says whether this address may still use the code.",
    )

    def validate_seats(self, seats: int) -> int:
        most = settings.MAX_SEATS_PER_BOOKING
        if seats > most:
            raise serializers.ValidationError(
                ngettext(
                    "At most %(most)s seat can be booked at once.",
                    "At most %(most)s seats can be booked at once.",
                    most,
                )
                % {"most": most}
            )
        return seats


class DiscountQuoteOutput(serializers.Serializer[Any]):
    code = serializers.CharField()
    valid = serializers.BooleanField()
    amount_off = MoneyField()
    amount = MoneyField(help_text="What the seats would cost with the code.")
    currency = serializers.CharField()
    message = serializers.CharField(
        allow_blank=True, help_text="Why the code does not apply, for the person; else empty."
    )


class EnrollmentCreatedOutput(serializers.Serializer[Any]):
    token = serializers.CharField()
    reference = serializers.CharField()
    status = serializers.ChoiceField(choices=Enrollment.Status.choices)
    amount = MoneyField()
    currency = serializers.CharField()
    language = serializers.ChoiceField(choices=settings.LANGUAGES)
    hold_expires_at = serializers.DateTimeField(allow_null=True)
    payment = PaymentOutput(allow_null=True)
    discount = DiscountOutput(allow_null=True)

    @staticmethod
    def build(enrollment: Enrollment, payment: Payment | None) -> dict[str, Any]:
        return EnrollmentCreatedOutput(
            {
                "token": enrollment.token,
                "reference": enrollment.reference,
                "status": enrollment.status,
                "amount": format_amount(enrollment.amount_cents, enrollment.currency),
                "currency": enrollment.currency,
                "language": enrollment.language,
                "hold_expires_at": enrollment.hold_expires_at,
                "payment": payment_block(payment),
                "discount": discount_block(enrollment),
            }
        ).data


class RefundOutput(serializers.Serializer[Any]):
    amount = MoneyField()
    currency = serializers.CharField()
    status = serializers.ChoiceField(choices=["pending", "succeeded"])


class CancellationOutput(serializers.Serializer[Any]):
    can_cancel = serializers.BooleanField()
    refund_amount = MoneyField()
    full_refund_until = serializers.DateTimeField()


class EnrollmentOutput(serializers.ModelSerializer[Enrollment]):
    session = SessionOutput()
    participants = ParticipantSerializer(many=True)
    amount = serializers.SerializerMethodField()
    payment = serializers.SerializerMethodField()
    refund = serializers.SerializerMethodField()
    cancellation = serializers.SerializerMethodField()
    discount = serializers.SerializerMethodField()

    class Meta:
        model = Enrollment
        fields = [
            "reference",
            "status",
            "session",
            "name",
            "email",
            "organization",
            "seats",
            "participants",
            "amount",
            "currency",
            "language",
            "hold_expires_at",
            "payment",
            "refund",
            "cancellation",
            "discount",
        ]

    @extend_schema_field(MONEY)
    def get_amount(self, enrollment: Enrollment) -> str:
        return format_amount(enrollment.amount_cents, enrollment.currency)

    @extend_schema_field(PaymentOutput(allow_null=True))
    def get_payment(self, enrollment: Enrollment) -> dict[str, str] | None:
        if enrollment.status not in Enrollment.HOLDING:
            return None
        open_payments = [p for p in enrollment.payments.all() if p.status == Payment.Status.PENDING]
        return payment_block(open_payments[0]) if open_payments else None

    @extend_schema_field(RefundOutput(allow_null=True))
    def get_refund(self, enrollment: Enrollment) -> dict[str, str] | None:
        refunds = [
            refund
            for payment in enrollment.payments.all()
            for refund in payment.refunds.all()
            if refund.status != Refund.Status.FAILED
        ]
        if not refunds:
            return None
        pending = any(refund.status == Refund.Status.PENDING for refund in refunds)
        return {
            "amount": format_amount(sum(r.amount_cents for r in refunds), enrollment.currency),
            "currency": enrollment.currency,
            "status": "pending" if pending else "succeeded",
        }

    @extend_schema_field(DiscountOutput(allow_null=True))
    def get_discount(self, enrollment: Enrollment) -> dict[str, str] | None:
        return discount_block(enrollment)

    @extend_schema_field(CancellationOutput)
    def get_cancellation(self, enrollment: Enrollment) -> dict[str, Any]:
        terms = cancellation_terms(enrollment, now=timezone.now())
        return {
            "can_cancel": terms.can_cancel,
            "refund_amount": format_amount(terms.refund_cents, enrollment.currency),
            "full_refund_until": terms.full_refund_until,
        }
