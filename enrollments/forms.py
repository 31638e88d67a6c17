"""The admin's forms for bookings made or changed by hand (enrollments.services.by_hand)."""

from typing import Any

from django import forms
from django.conf import settings
from django.core.validators import validate_email
from django.db.models import QuerySet
from django.utils import timezone

from config.money import format_amount
from enrollments.models import Enrollment, Participant
from enrollments.selectors import sessions_with_seats
from enrollments.services.receipts import booking_amount
from enrollments.services.roster import ParticipantInput
from workshops.models import Session


def _bookable(sessions: QuerySet[Session]) -> QuerySet[Session]:
    """Scheduled sessions that have not begun, soonest first, with their seats counted."""
    upcoming = sessions.filter(status=Session.Status.SCHEDULED, starts_at__gt=timezone.now())
    return sessions_with_seats(upcoming.select_related("offering")).order_by("starts_at", "pk")


class SessionChoice(forms.ModelChoiceField[Session]):
    """A session as a coordinator picks one: when, price a seat, seats left."""

    def label_from_instance(self, obj: Session) -> str:
        price = format_amount(booking_amount(obj, 1), obj.offering.currency)
        left = obj.seats_left  # type: ignore[attr-defined]
        return f"{obj} · {price} {obj.offering.currency} a seat · {left} seat(s) left"


def parse_participants(text: str) -> list[ParticipantInput]:
    """One person a line, "Name, email" (or "Name <email>")."""
    people = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        name, _, email = line.replace("<", ",").rstrip(">").rpartition(",")
        name, email = name.strip().rstrip(","), email.strip()
        try:
            validate_email(email)
        except forms.ValidationError:
            raise forms.ValidationError(
                f'Line {number}: write "name, email", e.g. "Ada Vos, ada@example.org".'
            ) from None
        if not name:
            raise forms.ValidationError(f"Line {number}: the name is missing.")
        people.append(ParticipantInput(name=name, email=email))
    emails = [person.email.lower() for person in people]
    if len(set(emails)) != len(emails):
        raise forms.ValidationError("Each person once: an email address appears twice.")
    return people


class BookByHandForm(forms.Form):
    PAYMENT_LINK = "payment_link"
    COMPLIMENTARY = "complimentary"

    session = SessionChoice(queryset=Session.objects.none())
    way = forms.ChoiceField(
        label="How",
        widget=forms.RadioSelect,
        initial=PAYMENT_LINK,
        choices=[
            (
                PAYMENT_LINK,
                f"Send a payment link: the seats are held {settings.WAITLIST_OFFER_HOURS} hours "
                "(never past the start) and confirmed once paid on the booking page",
            ),
            (COMPLIMENTARY, "Complimentary: free of charge, confirmed now"),
        ],
    )
    name = forms.CharField(max_length=200, label="Booked by (name)")
    email = forms.EmailField(max_length=254)
    organization = forms.CharField(max_length=200, required=False)
    seats = forms.IntegerField(min_value=1, max_value=settings.MAX_SEATS_PER_BOOKING, initial=1)
    participants = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text='Who attends, one a line: "Name, email". Empty for one seat: the person '
        "booking attends. Others can be named later on the booking page.",
    )
    language = forms.ChoiceField(choices=settings.LANGUAGES, initial=settings.LANGUAGE_CODE)
    consent = forms.BooleanField(
        label="They agreed to the privacy policy",
        help_text=f"Read it to them, or send the link: {settings.PRIVACY_POLICY_URL}",
    )

    def __init__(self, *args: Any, sessions: QuerySet[Session], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["session"].queryset = _bookable(sessions)  # type: ignore[attr-defined]

    def clean_participants(self) -> list[ParticipantInput]:
        return parse_participants(self.cleaned_data.get("participants", ""))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        people, seats = cleaned.get("participants") or [], cleaned.get("seats")
        if seats and len(people) > seats:
            self.add_error("participants", f"{len(people)} people named for {seats} seat(s).")
        return cleaned


class MoveForm(forms.Form):
    session = SessionChoice(queryset=Session.objects.none(), label="Move to")

    def __init__(self, *args: Any, enrollment: Enrollment, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        others = Session.objects.filter(offering_id=enrollment.session.offering_id).exclude(
            pk=enrollment.session_id
        )
        self.fields["session"].queryset = _bookable(others)  # type: ignore[attr-defined]


class CancelSeatsForm(forms.Form):
    seats = forms.IntegerField(min_value=1, label="Seats to give up")
    taken_off = forms.ModelMultipleChoiceField(
        queryset=Participant.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Who no longer comes",
        help_text="They are told, with a calendar file that takes the session out.",
    )

    def __init__(self, *args: Any, enrollment: Enrollment, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["seats"].widget.attrs["max"] = enrollment.seats - 1
        self.fields["taken_off"].queryset = enrollment.participants.all()  # type: ignore[attr-defined]
