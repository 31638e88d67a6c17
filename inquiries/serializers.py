"""Input and output serializers of the inquiries API. Messages here are read by people
reaching out, often at a hard moment."""

import re
from typing import Any

from django.conf import settings
from rest_framework import serializers

from config.text import person_name
from inquiries.models import Inquiry
from workshops.models import Offering

NAME_MAX = 200
MESSAGE_MAX = 5000
TEAM_SIZE_MIN, TEAM_SIZE_MAX = 2, 1000

_PHONE = re.compile(r"^\+?[0-9 ()./-]+$")


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
        return person_name(name)

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
            body["support"] = support_block()
        return body


def support_block() -> dict[str, str]:
    """Crisis resources, shown with any answer to a message that holds crisis language."""
    return {"message": SUPPORT_MESSAGE, "resources": settings.CRISIS_SUPPORT_TEXT}
