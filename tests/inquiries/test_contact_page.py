"""The contact page: an inquiry from a page, with the API's checks, throttle, honeypot and
crisis support; what the person typed is kept whenever it is shown again."""

import re
from http import HTTPStatus

import pytest
from django.conf import settings
from rest_framework.throttling import ScopedRateThrottle

from inquiries.models import Inquiry
from outbox.models import OutgoingMail
from tests.factories import OfferingFactory
from tests.pages import field_errors

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_tasks")]

CRISIS_MESSAGE = "Since the accident I feel hopeless and I want to end my life."


def form(**fields):
    return {
        "kind": "personal_guidance",
        "name": "Ada Lovelace",
        "email": "ada@example.org",
        "message": "I would like to talk about burnout at work.",
        "consent": "yes",
        **fields,
    }


def test_the_form_opens_on_what_the_link_was_about(client):
    offering = OfferingFactory.create(title="Team Resilience", kind="team_training")

    page = client.get(f"/contact/?kind=team_training&offering={offering.slug}").content.decode()

    assert 'value="team_training" checked' in page
    assert f'value="{offering.slug}" selected' in page
    assert 'name="website"' in page
    assert 'tabindex="-1"' in page


def test_a_message_is_stored_and_thanked_for_with_its_reference(client):
    response = client.post("/contact/", form(), follow=True)

    inquiry = Inquiry.objects.get()
    assert inquiry.email == "ada@example.org"
    assert inquiry.consent_at is not None
    page = response.content.decode()
    assert response.redirect_chain == [("/contact/thanks/", HTTPStatus.FOUND)]
    assert inquiry.reference in page
    assert "If you need help now" not in page
    assert OutgoingMail.objects.filter(to="ada@example.org").exists()


def test_a_message_in_crisis_is_thanked_for_with_support_and_its_address_says_nothing(client):
    response = client.post("/contact/", form(message=CRISIS_MESSAGE), follow=True)

    assert Inquiry.objects.get().urgent
    page = response.content.decode()
    assert "If you need help now" in page
    assert settings.CRISIS_SUPPORT_TEXT in page.replace("&#x27;", "'")
    # Neither the address (histories, proxies' logs) nor a cookie left behind tells of it.
    assert response.redirect_chain == [("/contact/thanks/", HTTPStatus.FOUND)]
    assert client.cookies["regard_thanks"].value == ""
    again = client.get("/contact/thanks/")
    assert again.status_code == HTTPStatus.FOUND  # read once


def test_a_thanks_page_without_its_message_leads_back_to_the_form(client):
    client.cookies["regard_thanks"] = '{"ref": "INQ-FAKE", "urgent": true}'  # not signed

    response = client.get("/contact/thanks/")

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == "/contact/"


def test_the_honeypot_still_shows_support_to_a_person_in_crisis(client):
    page = client.post(
        "/contact/", form(website="https://x.example", message=CRISIS_MESSAGE), follow=True
    ).content.decode()

    assert "If you need help now" in page
    assert not Inquiry.objects.exists()


def test_errors_stand_by_their_fields_and_what_was_typed_is_kept(client):
    response = client.post("/contact/", form(email="not an address", consent="", phone="+31 6 12"))

    assert response.status_code == HTTPStatus.BAD_REQUEST
    page = response.content.decode()
    assert field_errors(page, "f-email") == [
        "This doesn&#x27;t look like an email address yet. Could you check it?"
    ]
    assert "keep your message with your consent" in field_errors(page, "f-consent")[0]
    assert field_errors(page, "f-name") == []
    assert 'value="not an address"' in page
    assert "I would like to talk about burnout" in page
    assert 'role="alert"' in page
    assert 'href="#f-email"' in page
    assert not Inquiry.objects.exists()


def test_the_honeypot_is_thanked_for_and_nothing_is_stored(client):
    page = client.post("/contact/", form(website="https://spam.example"), follow=True)

    assert "Thank you for writing to us" in page.content.decode()
    assert not Inquiry.objects.exists()
    assert not OutgoingMail.objects.exists()


def send_too_often(client, monkeypatch, body):
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "inquiries", "1/hour")
    client.post("/contact/", form(email="first@example.org"))
    return client.post("/contact/", body)


def send_to_a_flooded_address(client, monkeypatch, body):
    monkeypatch.setattr(settings, "MAX_EMAILS_PER_RECIPIENT_PER_DAY", 1)
    client.post("/contact/", form())
    return client.post("/contact/", body)


def send_invalid(client, monkeypatch, body):
    return client.post("/contact/", {**body, "email": "not an address"})


@pytest.mark.parametrize("refusal", [send_too_often, send_to_a_flooded_address, send_invalid])
def test_a_refused_message_keeps_what_was_typed_and_shows_support_when_needed(
    client, monkeypatch, refusal
):
    response = refusal(client, monkeypatch, form(message=CRISIS_MESSAGE))

    assert response.status_code in (HTTPStatus.TOO_MANY_REQUESTS, HTTPStatus.BAD_REQUEST)
    page = response.content.decode()
    assert "If you need help now" in page
    assert CRISIS_MESSAGE in page  # nothing typed is lost
    assert not Inquiry.objects.filter(message=CRISIS_MESSAGE).exists()


def test_a_throttled_message_says_when_to_try_again(client, monkeypatch):
    response = send_too_often(client, monkeypatch, form())

    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert int(response["Retry-After"]) > 0
    assert re.search(r"try again in about \d+ minutes", response.content.decode())
    assert "If you need help now" not in response.content.decode()
