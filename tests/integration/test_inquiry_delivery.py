"""An inquiry's two emails through real parts: API, Celery worker on Redis, SMTP on loopback."""

from http import HTTPStatus

import pytest

from inquiries.models import Inquiry
from outbox.models import OutgoingMail
from tests.stand_ins import wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

MESSAGE = "The night shifts have worn our team thin, and some nights I want to die."


def body_of(message) -> str:
    return "\n".join(
        part.get_content() for part in message.walk() if part.get_content_maintype() == "text"
    )


def test_an_inquiry_reaches_the_person_and_the_practice(celery_worker, smtp_sink, api, settings):
    settings.PRACTICE_NOTIFY_EMAIL = "team@practice.test"

    response = api.post(
        "/api/v1/inquiries/",
        {
            "kind": "team_training",
            "name": "Ada Lovelace",
            "email": "ada@example.org",
            "organization": "Het Ziekenhuis",
            "team_size": 14,
            "message": MESSAGE,
            "consent": True,
        },
        format="json",
    )

    assert response.status_code == HTTPStatus.CREATED
    # Committed by the request, then sent by the worker the on-commit kick woke up.
    wait_until(lambda: len(smtp_sink.messages) == 2)
    by_recipient = {message["To"]: message for message in smtp_sink.messages}
    assert set(by_recipient) == {"ada@example.org", "team@practice.test"}
    assert by_recipient["team@practice.test"]["Subject"].startswith("URGENT")
    assert settings.CRISIS_SUPPORT_TEXT in body_of(by_recipient["ada@example.org"])
    for message in smtp_sink.messages:
        assert "night shifts" not in body_of(message)
        assert "want to die" not in body_of(message)
        assert "want to die" not in message["Subject"]

    inquiry = Inquiry.objects.get(reference=response.json()["reference"])
    wait_until(
        lambda: (
            set(OutgoingMail.objects.filter(related_id=inquiry.pk).values_list("status", flat=True))
            == {OutgoingMail.Status.SENT}
        )
    )
