"""A person's language: chosen by `language` (API) or the page's switcher, else
Accept-Language; kept on their booking or inquiry, and every later email to them is
written in it, its dates and amounts too. The practice's own emails stay in its language."""

from datetime import timedelta
from http import HTTPStatus

import icalendar
import pytest
from django.utils import timezone, translation

from enrollments.models import Enrollment, Participant
from enrollments.services import reminders
from inquiries.models import Inquiry
from outbox.models import OutgoingMail
from surveys import services as surveys
from tests.factories import EnrollmentFactory, SessionFactory, SurveyInvitationFactory
from workshops.calendar import describe_when

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_tasks")]

DECEMBER = timezone.now().replace(year=2031, month=12, day=11, hour=15, minute=0)  # a Thursday


def in_dutch(text: str, **values: object) -> str:
    """`text` as the Dutch catalog has it; a text the catalog lacks fails here, so no test
    compares English with English."""
    with translation.override("nl"):
        dutch = translation.gettext(text)
    assert dutch != text, f"not in the Dutch catalog: {text!r}"
    return dutch % values if values else dutch


def book(api, language_header="", **fields):
    session = SessionFactory.create(
        offering__price_cents=0,
        offering__title="Burnout and Recovery",
        starts_at=DECEMBER,
        ends_at=DECEMBER + timedelta(hours=3),
        meeting_link="https://meet.example.org/room",
    )
    body = {"session": session.pk, "name": "Ada", "email": "ada@example.org", "consent": True}
    headers = {"HTTP_ACCEPT_LANGUAGE": language_header} if language_header else {}
    return api.post("/api/v1/enrollments/", body | fields, format="json", **headers)


def test_a_booking_asked_for_in_dutch_is_kept_and_written_to_in_dutch(api):
    response = book(api, "nl-NL,nl;q=0.9,en;q=0.5")

    assert response.status_code == HTTPStatus.CREATED
    assert response.json()["language"] == "nl"
    booking = Enrollment.objects.get()
    assert booking.language == "nl"
    mail = OutgoingMail.objects.get(kind="enrollment_confirmation")
    assert mail.subject == in_dutch(
        "Your place is confirmed: %(title)s", title="Burnout and Recovery"
    )
    assert "donderdag 11 december 2031, 16:00–19:00 uur (Europe/Amsterdam)" in mail.body_text
    assert 'lang="nl"' in mail.body_html
    calendar = icalendar.Calendar.from_ical(mail.attachments[0]["content"])
    [event] = calendar.walk("VEVENT")
    assert str(event["description"]) == in_dutch(
        "Join online: %(meeting_link)s", meeting_link="https://meet.example.org/room"
    )


def test_language_given_wins_over_the_browsers(api):
    response = book(api, "nl", language="en")

    assert response.json()["language"] == "en"
    mail = OutgoingMail.objects.get(kind="enrollment_confirmation")
    assert mail.subject == "Your place is confirmed: Burnout and Recovery"
    assert "Thursday 11 December 2031, 16:00–19:00 (Europe/Amsterdam)" in mail.body_text


def test_a_language_we_do_not_speak_is_a_kind_field_error_and_nothing_is_stored(api):
    response = book(api, language="fr")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["fields"]["language"] == ["Please choose en (English) or nl (Dutch)."]
    assert not Enrollment.objects.exists()


def test_a_browser_asking_for_a_language_we_do_not_speak_gets_english(api):
    response = book(api, "fr-FR,fr;q=0.9")

    assert response.json()["language"] == "en"


def test_an_inquiry_in_dutch_is_answered_in_dutch_and_announced_in_the_practices_language(api):
    response = api.post(
        "/api/v1/inquiries/",
        {
            "kind": "personal_guidance",
            "name": "Anouk",
            "email": "anouk@example.org",
            "message": "Ik merk dat ik al maanden uitgeput ben van mijn werk.",
            "consent": True,
        },
        format="json",
        HTTP_ACCEPT_LANGUAGE="nl",
    )

    assert response.json()["language"] == "nl"
    inquiry = Inquiry.objects.get()
    assert inquiry.language == "nl"
    to_them = OutgoingMail.objects.get(to="anouk@example.org")
    assert to_them.subject == in_dutch(
        "Thank you for writing to %(practice_name)s (%(reference)s)",
        practice_name="Regard",
        reference=inquiry.reference,
    )
    assert to_them.body_text.startswith(in_dutch("Dear %(name)s,", name="Anouk"))
    to_practice = OutgoingMail.objects.exclude(to="anouk@example.org").get()
    assert "inquiry" in to_practice.subject.lower()  # the practice reads English


def test_the_booking_page_books_in_the_language_the_switcher_chose(client):
    session = SessionFactory.create(offering__price_cents=0)
    client.post("/i18n/setlang/", {"language": "nl", "next": "/"})

    page = client.get(f"/sessions/{session.pk}/book/").content.decode()
    assert '<html lang="nl">' in page
    client.post(
        f"/sessions/{session.pk}/book/",
        {"name": "Ada", "email": "ada@example.org", "seats": "1", "consent": "yes"},
    )

    assert Enrollment.objects.get().language == "nl"


def test_later_emails_follow_the_bookings_language_not_the_moment(api):
    starts = timezone.now() + timedelta(hours=20)
    session = SessionFactory.create(starts_at=starts, ends_at=starts + timedelta(hours=2))
    booking = EnrollmentFactory.create(session=session, language="nl")
    Enrollment.objects.filter(pk=booking.pk).update(confirmed_at=timezone.now() - timedelta(days=3))

    with translation.override("en"):  # the job runs in no one's language
        reminders.reminders_send_due()

    reminder = OutgoingMail.objects.get(kind="session_reminder")
    with translation.override("nl"):
        assert str(describe_when(session)) in reminder.subject


def test_the_survey_follows_the_bookings_language():
    ended = timezone.now() - timedelta(hours=48)
    session = SessionFactory.create(starts_at=ended - timedelta(hours=3), ends_at=ended)
    booking = EnrollmentFactory.create(session=session, language="nl")
    Participant.objects.create(enrollment=booking, name="Ada", email="ada@example.org")

    surveys.surveys_send_due()

    invitation = OutgoingMail.objects.get(kind="survey_invitation")
    assert invitation.subject == in_dutch("How was %(title)s for you?", title=session.display_title)


def test_amounts_are_written_as_the_language_writes_them(client):
    session = SessionFactory.create(offering__price_cents=123450, offering__currency="EUR")

    english = client.get(f"/sessions/{session.pk}/book/").content.decode()
    dutch = client.get(f"/sessions/{session.pk}/book/", HTTP_ACCEPT_LANGUAGE="nl").content.decode()

    assert "1,234.50 EUR" in english
    assert "1.234,50 EUR" in dutch


def test_an_offering_written_in_dutch_too_is_shown_in_dutch_to_those_who_read_it(client, api):
    session = SessionFactory.create(
        offering__price_cents=0,
        offering__title="Burnout and Recovery",
        offering__summary="Noticing burnout early.",
        offering__title_nl="Burn-out en herstel",
        offering__summary_nl="Burn-out vroeg herkennen.",
    )
    slug = session.offering.slug

    dutch = client.get(f"/offerings/{slug}/", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    english = client.get(f"/offerings/{slug}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<h1>Burn-out en herstel</h1>" in dutch
    assert "Burn-out vroeg herkennen." in dutch
    assert "<h1>Burnout and Recovery</h1>" in english

    api.post(
        "/api/v1/enrollments/",
        {"session": session.pk, "name": "Anouk", "email": "a@example.org", "consent": True},
        format="json",
        HTTP_ACCEPT_LANGUAGE="nl",
    )
    mail = OutgoingMail.objects.get(kind="enrollment_confirmation")
    assert mail.subject == in_dutch(
        "Your place is confirmed: %(title)s", title="Burn-out en herstel"
    )
    [event] = icalendar.Calendar.from_ical(mail.attachments[0]["content"]).walk("VEVENT")
    assert str(event["summary"]) == "Burn-out en herstel"

    # The API gives the practice's own words, both of them, the same to everyone.
    offering = api.get(f"/api/v1/offerings/{slug}/", HTTP_ACCEPT_LANGUAGE="nl").json()
    assert (offering["title"], offering["title_nl"]) == (
        "Burnout and Recovery",
        "Burn-out en herstel",
    )


def test_the_default_survey_asks_in_the_readers_language(client):
    invitation = SurveyInvitationFactory.create()

    dutch = client.get(f"/surveys/{invitation.token}/", HTTP_ACCEPT_LANGUAGE="nl").content
    english = client.get(f"/surveys/{invitation.token}/").content

    assert in_dutch("I felt heard and respected.").encode() in dutch
    assert b"I felt heard and respected." in english


def test_a_question_the_practice_wrote_in_dutch_too_is_asked_in_dutch(client):
    invitation = SurveyInvitationFactory.create()
    invitation.template.questions.create(
        key="pace",
        type="free_text",
        text="How was the pace for you?",
        text_nl="Hoe was het tempo voor jou?",
        position=99,
    )

    dutch = client.get(f"/surveys/{invitation.token}/", HTTP_ACCEPT_LANGUAGE="nl").content
    english = client.get(f"/surveys/{invitation.token}/").content

    assert b"Hoe was het tempo voor jou?" in dutch
    assert b"How was the pace for you?" in english
