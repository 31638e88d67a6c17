"""Input and output serializers of the inquiries API. Messages here are read by people
reaching out, often at a hard moment, and each is translatable: lazy, so it reads in the
language of the request that shows it."""

import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.utils.formats import number_format
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise
from rest_framework import serializers

from config.text import language_field, person_name
from inquiries import crisis
from inquiries.models import Inquiry
from workshops.models import Offering

NAME_MAX = 200
MESSAGE_MAX = 5000
TEAM_SIZE_MIN, TEAM_SIZE_MAX = 2, 1000

_PHONE = re.compile(r"^\+?[0-9 ()./-]+$")


def _required(what: StrOrPromise) -> dict[str, StrOrPromise]:
    return {"required": what, "blank": what, "null": what}


def _when_read(message: Callable[[], str]) -> StrOrPromise:
    """A message with a number in it, put together only when it is read: in the reader's
    language, with the number written their way ("5,000", "5.000")."""
    return lazy(message, str)()


class InquiryInput(serializers.Serializer[Any]):
    default_error_messages = {
        "invalid": _(
            "Please send your inquiry as a JSON object of fields, such as name and message."
        )
    }

    kind = serializers.ChoiceField(
        choices=Inquiry.Kind.choices,
        error_messages={
            **_required(_("Please tell us what you are writing about.")),
            "invalid_choice": _(
                "Please choose personal_guidance, team_training or general for what you are "
                "writing about."
            ),
        },
    )
    name = serializers.CharField(
        max_length=NAME_MAX,
        error_messages={
            **_required(_("Please tell us your name, so we know how to address you.")),
            "max_length": _when_read(
                lambda: (
                    gettext("Please keep your name to %(most)s characters.") % {"most": NAME_MAX}
                )
            ),
            "invalid": _("Please write your name as text."),
        },
    )
    email = serializers.EmailField(
        max_length=254,
        error_messages={
            **_required(_("Please give us an email address, so we can write back to you.")),
            "invalid": _("This doesn't look like an email address yet. Could you check it?"),
            "max_length": _("This email address is longer than we can store. Could you check it?"),
        },
    )
    phone = serializers.CharField(
        max_length=40,
        required=False,
        allow_blank=True,
        error_messages={
            "max_length": _("Please keep the phone number to 40 characters."),
            "invalid": _("Please write the phone number as text, such as +31 6 1234 5678."),
            "null": _("Leave the phone number out if you'd rather not give one."),
        },
    )
    organization = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        error_messages={
            "max_length": _("Please keep the organization's name to 200 characters."),
            "invalid": _("Please write the organization's name as text."),
            "null": _("Leave the organization out if there isn't one."),
        },
    )
    team_size = serializers.IntegerField(
        min_value=TEAM_SIZE_MIN,
        max_value=TEAM_SIZE_MAX,
        required=False,
        allow_null=True,
        error_messages={
            "invalid": _("Please give the team size as a whole number, such as 12."),
            "min_value": _when_read(
                lambda: (
                    gettext("A team training is for at least %(fewest)s people.")
                    % {"fewest": TEAM_SIZE_MIN}
                )
            ),
            "max_value": _when_read(
                lambda: (
                    gettext(
                        "For more than %(most)s people, please tell us about it in your "
                        "message and we'll plan it together."
                    )
                    % {"most": number_format(TEAM_SIZE_MAX, force_grouping=True)}
                )
            ),
            "max_string_length": _("Please give the team size as a whole number, such as 12."),
        },
    )
    offering: serializers.SlugRelatedField[Offering] = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Offering.objects.filter(is_published=True),
        required=False,
        allow_null=True,
        error_messages={
            "does_not_exist": _(
                "We couldn't find that offering. It may no longer be available; you can "
                "leave it out and tell us in your message what you are looking for."
            ),
            "invalid": _("Please give the offering by its slug, such as the one in its link."),
        },
    )
    preferred_dates = serializers.CharField(
        max_length=500,
        required=False,
        allow_blank=True,
        error_messages={
            "max_length": _("Please keep the preferred dates to 500 characters."),
            "invalid": _("Please write the preferred dates as text."),
            "null": _("Leave the preferred dates out if you have none yet."),
        },
    )
    message = serializers.CharField(
        max_length=MESSAGE_MAX,
        error_messages={
            **_required(_("Please write us a few words about what you are looking for.")),
            "max_length": _when_read(
                lambda: (
                    gettext(
                        "Please keep your message to %(most)s characters; we'll gladly hear "
                        "the rest when we talk."
                    )
                    % {"most": number_format(MESSAGE_MAX, force_grouping=True)}
                )
            ),
            "invalid": _("Please write your message as text."),
        },
    )
    consent = serializers.BooleanField(
        error_messages={
            **_required(
                _("Please let us know you agree that we keep these details to reply to you.")
            ),
            "invalid": _("Please answer true if you agree that we keep these details to reply."),
        },
    )
    # The honeypot: hidden from people, so only software fills it in.
    website = serializers.CharField(required=False, allow_blank=True, trim_whitespace=True)
    language = language_field("Our reply is written in it.")

    def validate_name(self, name: str) -> str:
        # Our reply starts with the name; a link there would turn it into someone's spam.
        return person_name(name)

    def validate_phone(self, phone: str) -> str:
        if phone and (not _PHONE.match(phone) or sum(c.isdigit() for c in phone) < 6):
            raise serializers.ValidationError(
                gettext(
                    "This doesn't look like a phone number yet, such as +31 6 1234 5678. "
                    "You can also leave it out."
                )
            )
        return phone

    def validate_consent(self, consent: bool) -> bool:
        if not consent:
            raise serializers.ValidationError(
                gettext(
                    "We can only keep your message with your consent. If you'd rather not "
                    "give it, you are always welcome to write to us by email instead."
                )
            )
        return consent

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["kind"] == Inquiry.Kind.TEAM_TRAINING:
            errors = {}
            if not attrs.get("organization"):
                errors["organization"] = [
                    gettext("Please tell us which organization the team is part of.")
                ]
            if attrs.get("team_size") is None:
                errors["team_size"] = [
                    gettext("Please tell us roughly how many people are in the team.")
                ]
            if errors:
                raise serializers.ValidationError(errors)
        return attrs


class SupportOutput(serializers.Serializer[Any]):
    message = serializers.CharField()
    resources = serializers.CharField()


SUPPORT_MESSAGE = _(
    "Thank you for telling us. We read every message ourselves, but we are not an emergency "
    "service and may not see yours straight away. If you need help now, please don't wait "
    "for our reply:"
)


class InquiryOutput(serializers.Serializer[Inquiry]):
    reference = serializers.CharField()
    status = serializers.ChoiceField(choices=Inquiry.Status.choices)
    language = serializers.ChoiceField(choices=settings.LANGUAGES)
    support = SupportOutput(
        required=False,
        help_text="Crisis resources; present only when the message suggests someone may be "
        "in crisis.",
    )

    def to_representation(self, inquiry: Inquiry) -> dict[str, Any]:
        body: dict[str, Any] = {
            "reference": inquiry.reference,
            "status": inquiry.status,
            "language": inquiry.language,
        }
        if inquiry.urgent:
            body["support"] = support_block()
        return body


def support_block() -> dict[str, str]:
    """Crisis resources, shown with any answer to a message that holds crisis language: in
    the active language, with the resources of the country that language points to."""
    return {"message": str(SUPPORT_MESSAGE), "resources": crisis.support_text()}
