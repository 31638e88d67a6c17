"""Text that people type (config/text.py): names that are copied into other people's
emails refuse links in any spelling; real names, initials and all, pass."""

from http import HTTPStatus

import pytest

from config.text import NAME_WITH_LINK, holds_link
from enrollments.models import Enrollment, Participant
from inquiries.models import Inquiry
from tests.factories import EnrollmentFactory, SessionFactory

LINKS = [
    "https://refund-desk.example/claim",
    "HTTP : //refund-desk.example",
    "www.refund-desk.example",
    "refund-desk.com/claim",
    "Refund desk: refund-desk.com",
    "refund-desk[.]com",
    "refund-desk(.)com",
    "refund-desk (dot) com",
    "refund-desk dot com",
    "refund-desk [dot] nl",
    "refund-desk .com",
    "ｒｅｆｕｎｄ－ｄｅｓｋ．ｃｏｍ",  # full-width
    "refund\u200b-desk.com",  # a zero-width space inside
    "refund-desk。com",  # an ideographic full stop
    "bücher.de",
    "113.nl",
    "ada@refund-desk.com",
]
NAMES = [
    "Ada Lovelace",
    "J.R.R. Tolkien",
    "Dr. Ng",
    "Ph.D. Jane Doe",
    "Mary O'Neil",
    "Marie-Claire d'Arc",
    "José García",
    "李小龍",
    "Dot Smith",
    "Ada Dot Smith",
    "Jean-Luc (Dot) Picard",
    "Anne-Marie Smith-Jones",
]


@pytest.mark.parametrize("text", LINKS)
def test_a_link_in_any_spelling_is_seen(text):
    assert holds_link(text)


@pytest.mark.parametrize("text", NAMES)
def test_a_name_is_a_name(text):
    assert not holds_link(text)


def test_a_very_long_text_is_judged_at_once():
    assert not holds_link("a" * 1_000_000)  # its length is refused elsewhere


def inquiry(api, **fields):
    body = {
        "kind": "team_training",
        "name": "Ada Lovelace",
        "email": "ada@example.org",
        "organization": "Booking.com",
        "team_size": 12,
        "message": "I called 113.nl last year; our team at Booking.com would like a training.",
        "consent": True,
    }
    return api.post("/api/v1/inquiries/", body | fields, format="json")


def booking(api, **fields):
    session = SessionFactory.create(capacity=10, offering__price_cents=0)
    body = {"session": session.pk, "name": "Ada Lovelace", "email": "ada@example.org"}
    return api.post("/api/v1/enrollments/", body | {"consent": True} | fields, format="json")


def roster(api, name):
    enrollment = EnrollmentFactory.create(seats=2)
    people = [{"name": name, "email": "grace@example.org"}]
    return api.put(
        f"/api/v1/enrollments/{enrollment.token}/participants/", {"participants": people}
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("send", "where"),
    [
        (lambda api, name: inquiry(api, name=name), "name"),
        (lambda api, name: booking(api, name=name), "name"),
        (
            lambda api, name: booking(
                api, seats=2, participants=[{"name": name, "email": "g@example.org"}]
            ),
            "participants.0.name",
        ),
        (roster, "participants.0.name"),
    ],
    ids=["inquirer", "purchaser", "participant", "participant renamed"],
)
def test_every_persons_name_refuses_a_link_kindly(api, send, where):
    response = send(api, "Refund desk: refund-desk dot com")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["fields"] == {where: [NAME_WITH_LINK]}
    assert not Inquiry.objects.exists()
    assert not Enrollment.objects.exclude(name="Ada Lovelace").exists()
    assert not Participant.objects.exists()


@pytest.mark.django_db
def test_an_organization_and_a_message_may_mention_a_domain(api):
    response = inquiry(api)

    assert response.status_code == HTTPStatus.CREATED
    assert Inquiry.objects.get().organization == "Booking.com"
