"""Input and output serializers of the enrollments API (kept apart, as STYLE.md asks).

Messages here are read by people reaching out."""

import re
from typing import Any

from django.conf import settings
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from billing.models import Payment, Refund
from billing.services import payment_block
from enrollments.models import Enrollment, Inquiry, SurveyInvitation, SurveyQuestion
from enrollments.services.enrollments import ParticipantInput, cancellation_terms
from workshops.models import Offering, Session
from workshops.money import format_amount
from workshops.serializers import MONEY, MoneyField, SessionOutput

MAX_SEATS = 100


class ParticipantSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=200)
    email = serializers.EmailField(max_length=254)


def _validate_roster(participants: list[dict[str, str]]) -> list[ParticipantInput]:
    if len(participants) > MAX_SEATS:
        raise serializers.ValidationError(f"At most {MAX_SEATS} participants can be named.")
    emails = [p["email"].lower() for p in participants]
    if len(set(emails)) != len(emails):
        raise serializers.ValidationError("Each participant needs their own email address.")
    return [ParticipantInput(name=p["name"], email=p["email"]) for p in participants]


class EnrollmentCreateInput(serializers.Serializer[Any]):
    # Only the id's shape is checked here: whether the session can be booked is the
    # service's to say (SessionNotFound), in the read it makes anyway, so a refusal in a
    # rush costs no extra statement.
    session = serializers.IntegerField(
        error_messages={"invalid": "Please give the session's id as a number."}
    )
    name = serializers.CharField(max_length=200)
    email = serializers.EmailField(max_length=254)
    organization = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )
    seats = serializers.IntegerField(min_value=1, max_value=MAX_SEATS, default=1)
    participants = ParticipantSerializer(many=True, required=False)
    join_waitlist = serializers.BooleanField(default=False)
    consent = serializers.BooleanField()

    def validate_consent(self, value: bool) -> bool:
        if not value:
            raise serializers.ValidationError(
                "Please agree to how we keep your details, so we can take your booking."
            )
        return value

    def validate_participants(self, value: list[dict[str, str]]) -> list[ParticipantInput]:
        return _validate_roster(value)

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        participants = data.get("participants", [])
        if len(participants) > data["seats"]:
            raise serializers.ValidationError(
                {
                    "participants": [
                        f"You booked {data['seats']} seat(s), so at most {data['seats']} "
                        "participant(s) can be named."
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


class EnrollmentCreatedOutput(serializers.Serializer[Any]):
    token = serializers.CharField()
    reference = serializers.CharField()
    status = serializers.ChoiceField(choices=Enrollment.Status.choices)
    amount = MoneyField()
    currency = serializers.CharField()
    hold_expires_at = serializers.DateTimeField(allow_null=True)
    payment = PaymentOutput(allow_null=True)

    @staticmethod
    def build(enrollment: Enrollment, payment: Payment | None) -> dict[str, Any]:
        return EnrollmentCreatedOutput(
            {
                "token": enrollment.token,
                "reference": enrollment.reference,
                "status": enrollment.status,
                "amount": format_amount(enrollment.amount_cents, enrollment.currency),
                "currency": enrollment.currency,
                "hold_expires_at": enrollment.hold_expires_at,
                "payment": payment_block(payment),
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
            "hold_expires_at",
            "payment",
            "refund",
            "cancellation",
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

    @extend_schema_field(CancellationOutput)
    def get_cancellation(self, enrollment: Enrollment) -> dict[str, Any]:
        terms = cancellation_terms(enrollment, now=timezone.now())
        return {
            "can_cancel": terms.can_cancel,
            "refund_amount": format_amount(terms.refund_cents, enrollment.currency),
            "full_refund_until": terms.full_refund_until,
        }


NAME_MAX = 200
MESSAGE_MAX = 5000
TEAM_SIZE_MIN, TEAM_SIZE_MAX = 2, 1000

_PHONE = re.compile(r"^\+?[0-9 ()./-]+$")
_LINK = re.compile(r"https?:|www\.", re.IGNORECASE)


def _required(what: str) -> dict[str, str]:
    return {"required": what, "blank": what, "null": what}


class InquiryInput(serializers.Serializer[Any]):
    default_error_messages = {
        "invalid": "Please send your inquiry as a JSON object of fields, such as name and message."
    }

    kind = serializers.ChoiceField(
        choices=Inquiry.Kind.choices,
        error_messages={
            **_required("Please tell us what you are writing about."),
            "invalid_choice": (
                "Please choose personal_guidance, team_training or general for what you are "
                "writing about."
            ),
        },
    )
    name = serializers.CharField(
        max_length=NAME_MAX,
        error_messages={
            **_required("Please tell us your name, so we know how to address you."),
            "max_length": f"Please keep your name to {NAME_MAX} characters.",
            "invalid": "Please write your name as text.",
        },
    )
    email = serializers.EmailField(
        max_length=254,
        error_messages={
            **_required("Please give us an email address, so we can write back to you."),
            "invalid": "This doesn't look like an email address yet. Could you check it?",
            "max_length": "This email address is longer than we can store. Could you check it?",
        },
    )
    phone = serializers.CharField(
        max_length=40,
        required=False,
        allow_blank=True,
        error_messages={
            "max_length": "Please keep the phone number to 40 characters.",
            "invalid": "Please write the phone number as text, such as +31 6 1234 5678.",
            "null": "Leave the phone number out if you'd rather not give one.",
        },
    )
    organization = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        error_messages={
            "max_length": "Please keep the organization's name to 200 characters.",
            "invalid": "Please write the organization's name as text.",
            "null": "Leave the organization out if there isn't one.",
        },
    )
    team_size = serializers.IntegerField(
        min_value=TEAM_SIZE_MIN,
        max_value=TEAM_SIZE_MAX,
        required=False,
        allow_null=True,
        error_messages={
            "invalid": "Please give the team size as a whole number, such as 12.",
            "min_value": f"A team training is for at least {TEAM_SIZE_MIN} people.",
            "max_value": (
                f"For more than {TEAM_SIZE_MAX:,} people, please tell us about it in your "
                "message and we'll plan it together."
            ),
            "max_string_length": "Please give the team size as a whole number, such as 12.",
        },
    )
    offering: serializers.SlugRelatedField[Offering] = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Offering.objects.filter(is_published=True),
        required=False,
        allow_null=True,
        error_messages={
            "does_not_exist": (
                "We couldn't find that offering. It may no longer be available; you can "
                "leave it out and tell us in your message what you are looking for."
            ),
            "invalid": "Please give the offering by its slug, such as the one in its link.",
        },
    )
    preferred_dates = serializers.CharField(
        max_length=500,
        required=False,
        allow_blank=True,
        error_messages={
            "max_length": "Please keep the preferred dates to 500 characters.",
            "invalid": "Please write the preferred dates as text.",
            "null": "Leave the preferred dates out if you have none yet.",
        },
    )
    message = serializers.CharField(
        max_length=MESSAGE_MAX,
        error_messages={
            **_required("Please write us a few words about what you are looking for."),
            "max_length": (
                f"Please keep your message to {MESSAGE_MAX:,} characters; we'll gladly hear "
                "the rest when we talk."
            ),
            "invalid": "Please write your message as text.",
        },
    )
    consent = serializers.BooleanField(
        error_messages={
            **_required("Please let us know you agree that we keep these details to reply to you."),
            "invalid": "Please answer true if you agree that we keep these details to reply.",
        },
    )
    # The honeypot: hidden from people, so only software fills it in.
    website = serializers.CharField(required=False, allow_blank=True, trim_whitespace=True)

    def validate_name(self, name: str) -> str:
        # Our reply starts with the name; a link there would turn it into someone's spam.
        if _LINK.search(name):
            raise serializers.ValidationError("Please write just your name here.")
        return name

    def validate_phone(self, phone: str) -> str:
        if phone and (not _PHONE.match(phone) or sum(c.isdigit() for c in phone) < 6):
            raise serializers.ValidationError(
                "This doesn't look like a phone number yet, such as +31 6 1234 5678. "
                "You can also leave it out."
            )
        return phone

    def validate_consent(self, consent: bool) -> bool:
        if not consent:
            raise serializers.ValidationError(
                "We can only keep your message with your consent. If you'd rather not give "
                "it, you are always welcome to write to us by email instead."
            )
        return consent

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["kind"] == Inquiry.Kind.TEAM_TRAINING:
            errors = {}
            if not attrs.get("organization"):
                errors["organization"] = ["Please tell us which organization the team is part of."]
            if attrs.get("team_size") is None:
                errors["team_size"] = ["Please tell us roughly how many people are in the team."]
            if errors:
                raise serializers.ValidationError(errors)
        return attrs


class SupportOutput(serializers.Serializer[Any]):
    message = serializers.CharField()
    resources = serializers.CharField()


SUPPORT_MESSAGE = (
    "Thank you for telling us. We read every message ourselves, but we are not an emergency "
    "service and may not see yours straight away. If you need help now, please don't wait "
    "for our reply:"
)


class InquiryOutput(serializers.Serializer[Inquiry]):
    reference = serializers.CharField()
    status = serializers.ChoiceField(choices=Inquiry.Status.choices)
    support = SupportOutput(
        required=False,
        help_text="Crisis resources; present only when the message suggests someone may be "
        "in crisis.",
    )

    def to_representation(self, inquiry: Inquiry) -> dict[str, Any]:
        body: dict[str, Any] = {"reference": inquiry.reference, "status": inquiry.status}
        if inquiry.urgent:
            body["support"] = {
                "message": SUPPORT_MESSAGE,
                "resources": settings.CRISIS_SUPPORT_TEXT,
            }
        return body


# --- Surveys --------------------------------------------------------------------------------


class SurveySessionOutput(serializers.ModelSerializer[Session]):
    title = serializers.CharField(source="display_title")

    class Meta:
        model = Session
        fields = ["id", "title", "starts_at", "ends_at", "timezone"]


class SurveyQuestionOutput(serializers.ModelSerializer[SurveyQuestion]):
    choices = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="Only for `single_choice`."
    )

    class Meta:
        model = SurveyQuestion
        fields = ["key", "type", "text", "required", "choices"]

    def to_representation(self, question: SurveyQuestion) -> dict[str, Any]:
        data: dict[str, Any] = super().to_representation(question)
        if question.type != SurveyQuestion.Type.SINGLE_CHOICE:
            del data["choices"]  # the contract's `choices?`: only choice questions have them
        return data


class SurveyOutput(serializers.ModelSerializer[SurveyInvitation]):
    session = SurveySessionOutput()
    questions = SurveyQuestionOutput(source="template.questions", many=True)
    submitted = serializers.SerializerMethodField()

    class Meta:
        model = SurveyInvitation
        fields = ["session", "questions", "submitted"]

    def get_submitted(self, invitation: SurveyInvitation) -> bool:
        return invitation.submitted_at is not None


class SurveySubmitInput(serializers.Serializer[Any]):
    answers = serializers.DictField(
        child=serializers.JSONField(allow_null=True),
        allow_empty=True,
        help_text=(
            "Answers by question key: a whole number for `rating` (1–5) and `nps` (0–10), "
            "true or false for `yes_no`, one of the `choices` for `single_choice`, text for "
            "`free_text`. Optional questions may be left out."
        ),
    )


class SurveySubmittedOutput(serializers.Serializer[Any]):
    submitted = serializers.BooleanField()
