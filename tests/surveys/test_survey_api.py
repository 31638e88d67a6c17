import logging
from http import HTTPStatus
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.throttling import ScopedRateThrottle

from inquiries.models import Inquiry
from outbox.models import OutgoingMail
from surveys import services as surveys
from surveys.models import SurveyAnswer, SurveyInvitation, SurveyQuestion
from tests.factories import SurveyInvitationFactory, SurveyQuestionFactory, SurveyTemplateFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/surveys/"
Type = SurveyQuestion.Type


@pytest.fixture
def every_type():
    """An invitation to a survey with one question of each type; only `rate` is required."""
    template = SurveyTemplateFactory.create()
    for position, (key, type_, required) in enumerate(
        [
            ("rate", Type.RATING, True),
            ("nps", Type.NPS, False),
            ("yn", Type.YES_NO, False),
            ("pick", Type.SINGLE_CHOICE, False),
            ("words", Type.FREE_TEXT, False),
        ]
    ):
        SurveyQuestionFactory.create(
            template=template,
            position=position,
            key=key,
            type=type_,
            required=required,
            choices=["Online", "In person"] if type_ == Type.SINGLE_CHOICE else [],
        )
    return SurveyInvitationFactory.create(template=template)


def submit(api, invitation, answers: Any):
    return api.post(f"{URL}{invitation.token}/", {"answers": answers}, format="json")


DEFAULT_ANSWERS = {"overall": 4, "felt_heard": 5, "recommend": 9}


def test_get_shows_the_session_and_the_questions_in_order(api, every_type):
    response = api.get(f"{URL}{every_type.token}/")

    assert response.status_code == HTTPStatus.OK
    data = response.json()
    assert data["submitted"] is False
    assert data["session"]["id"] == every_type.session_id
    assert data["session"]["title"] == every_type.session.display_title
    assert [q["key"] for q in data["questions"]] == ["rate", "nps", "yn", "pick", "words"]
    assert data["questions"][0] == {
        "key": "rate",
        "type": "rating",
        "text": every_type.template.questions.get(key="rate").text,
        "required": True,
    }
    assert data["questions"][3]["choices"] == ["Online", "In person"]
    assert all("choices" not in q for q in data["questions"] if q["key"] != "pick")
    assert "token" not in str(data)


@pytest.mark.parametrize(
    ("key", "value", "stored"),
    [
        ("rate", 1, 1),
        ("rate", 5, 5),
        ("rate", "4", 4),  # the form posts strings
        ("nps", 0, 0),
        ("nps", 10, 10),
        ("nps", " 7 ", 7),
        ("yn", True, True),
        ("yn", False, False),
        ("yn", "yes", True),
        ("yn", "no", False),
        ("pick", "In person", "In person"),
        ("words", "  It helped me listen.  ", "It helped me listen."),
    ],
)
def test_valid_answers_are_stored_by_type(api, every_type, key, value, stored):
    answers = {"rate": 3, key: value}

    response = submit(api, every_type, answers)

    assert response.status_code == HTTPStatus.CREATED, response.json()
    assert response.json() == {"submitted": True}
    assert SurveyAnswer.objects.get(invitation=every_type, key=key).value == stored


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("rate", 0, "from 1 to 5"),
        ("rate", 6, "from 1 to 5"),
        ("rate", 4.5, "from 1 to 5"),
        ("rate", True, "from 1 to 5"),
        ("rate", "four", "from 1 to 5"),
        ("rate", "²", "from 1 to 5"),
        ("rate", [4], "from 1 to 5"),
        ("nps", 11, "from 0 to 10"),
        ("nps", -1, "from 0 to 10"),
        ("nps", "10/10", "from 0 to 10"),
        ("yn", "maybe", "yes or no"),
        ("yn", 1, "yes or no"),
        ("yn", {"yes": True}, "yes or no"),
        ("pick", "Somewhere else", "one of the options"),
        ("pick", 1, "one of the options"),
        ("words", 42, "as text"),
        ("words", ["a"], "as text"),
        ("words", "x" * 5001, "under 5000"),
        ("rate", None, "Please answer"),
        ("rate", "", "Please answer"),
        ("rate", "   ", "Please answer"),
        ("surprise", "hello", "isn't part of the survey"),
    ],
)
def test_invalid_answers_are_400_by_question_and_store_nothing(
    api, every_type, key, value, message
):
    answers = {"rate": 3, "words": "Kind and clear.", key: value}

    response = submit(api, every_type, answers)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    body = response.json()
    assert body["code"] == "invalid"
    assert list(body["fields"]) == [key]
    assert message in body["fields"][key][0]
    assert not SurveyAnswer.objects.exists()
    every_type.refresh_from_db()
    assert every_type.submitted_at is None


def test_a_missing_required_answer_is_named(api, every_type):
    response = submit(api, every_type, {"words": "Thank you"})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["fields"] == {"rate": ["Please answer this question."]}


def test_optional_questions_may_be_left_out_or_blank(api, every_type):
    response = submit(api, every_type, {"rate": 2, "words": "", "pick": None})

    assert response.status_code == HTTPStatus.CREATED
    assert list(SurveyAnswer.objects.values_list("key", flat=True)) == ["rate"]


@pytest.mark.parametrize("body", [{}, {"answers": [1, 2]}, {"answers": "4"}, [1]])
def test_a_body_without_an_answers_object_is_400(api, every_type, body):
    response = api.post(f"{URL}{every_type.token}/", body, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["code"] == "invalid"


def test_answers_are_kept_with_a_copy_of_the_question(api, every_type):
    submit(api, every_type, {"rate": 4})
    every_type.template.questions.filter(key="rate").update(text="Changed later")

    answer = SurveyAnswer.objects.get()
    assert answer.question_text != "Changed later"
    assert answer.type == Type.RATING


def test_a_second_submission_is_409_and_keeps_the_first_answers(api, every_type):
    assert submit(api, every_type, {"rate": 4}).status_code == HTTPStatus.CREATED

    again = submit(api, every_type, {"rate": 1})

    assert again.status_code == HTTPStatus.CONFLICT
    assert again.json()["code"] == "already_submitted"
    assert SurveyAnswer.objects.get().number == 4
    assert api.get(f"{URL}{every_type.token}/").json()["submitted"] is True


@pytest.mark.parametrize("method", ["get", "post"])
def test_an_unknown_survey_link_is_404_in_the_error_shape(api, method):
    response = getattr(api, method)(f"{URL}not-a-real-token/", {"answers": {}}, format="json")

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json()["code"] == "not_found"
    assert "survey" in response.json()["message"]


def test_yes_to_personal_guidance_becomes_an_inquiry_without_repeating_answers(api, settings):
    settings.PRACTICE_NOTIFY_EMAIL = "care@practice.example"
    invitation = SurveyInvitationFactory.create(participant__name="Ada Byron")
    answers = {
        **DEFAULT_ANSWERS,
        "most_valuable": "The quiet exercise about my father",
        "could_be_better": "More breaks",
        "wants_guidance": True,
    }

    assert submit(api, invitation, answers).status_code == HTTPStatus.CREATED

    invitation.refresh_from_db()
    assert invitation.wants_guidance is True
    inquiry = Inquiry.objects.get()
    assert (inquiry.kind, inquiry.source) == ("personal_guidance", "survey")
    assert (inquiry.name, inquiry.email) == ("Ada Byron", invitation.participant.email)
    assert inquiry.offering == invitation.session.offering
    notice = OutgoingMail.objects.get(kind="inquiry_notification")
    assert notice.to == "care@practice.example"
    assert "follow-up survey" in notice.body_text
    assert f"/admin/inquiries/inquiry/{inquiry.pk}/change/" in notice.body_text
    acknowledgement = OutgoingMail.objects.get(kind="inquiry_acknowledgement")
    assert acknowledgement.to == invitation.participant.email
    for private in ("quiet exercise", "More breaks"):
        assert private not in inquiry.message
        for mail in (notice, acknowledgement):
            assert private not in mail.body_text
            assert private not in mail.subject


@pytest.mark.parametrize("answer", [False, None])
def test_no_or_no_answer_to_guidance_tells_nobody(api, answer):
    invitation = SurveyInvitationFactory.create()

    submit(api, invitation, {**DEFAULT_ANSWERS, "wants_guidance": answer})

    invitation.refresh_from_db()
    assert invitation.wants_guidance is False
    assert not Inquiry.objects.exists()


def test_the_guidance_hook_runs_once_per_yes(api, monkeypatch):
    calls: list[int] = []
    monkeypatch.setattr(
        surveys, "_guidance_requested", lambda invitation: calls.append(invitation.pk)
    )
    invitation = SurveyInvitationFactory.create()

    submit(api, invitation, {**DEFAULT_ANSWERS, "wants_guidance": "yes"})
    submit(api, invitation, {**DEFAULT_ANSWERS, "wants_guidance": "yes"})

    assert calls == [invitation.pk]


@pytest.mark.parametrize(
    ("overall", "felt_heard", "flagged"),
    [(1, 5, True), (2, 5, True), (5, 2, True), (5, 1, True), (3, 3, False), (5, 5, False)],
)
def test_low_ratings_are_flagged_for_the_practice(api, overall, felt_heard, flagged):
    invitation = SurveyInvitationFactory.create()

    submit(api, invitation, {**DEFAULT_ANSWERS, "overall": overall, "felt_heard": felt_heard})

    invitation.refresh_from_db()
    assert invitation.flagged is flagged


def test_a_low_recommendation_alone_is_not_flagged(api):
    invitation = SurveyInvitationFactory.create()

    submit(api, invitation, {**DEFAULT_ANSWERS, "recommend": 0})

    assert SurveyInvitation.objects.get().flagged is False


def test_answers_never_reach_the_logs(api, caplog):
    invitation = SurveyInvitationFactory.create()
    caplog.set_level(logging.DEBUG)

    submit(api, invitation, {**DEFAULT_ANSWERS, "most_valuable": "my-private-words"})
    submit(api, invitation, {**DEFAULT_ANSWERS, "most_valuable": "my-private-words"})

    assert SurveyAnswer.objects.filter(text="my-private-words").exists()
    assert "my-private-words" not in caplog.text


def test_sending_answers_is_throttled_but_reading_is_not(api, monkeypatch, every_type):
    rates = {**ScopedRateThrottle.THROTTLE_RATES, "surveys": "2/hour"}
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", rates)

    statuses = [submit(api, every_type, {}).status_code for _ in range(3)]

    assert statuses == [400, 400, 429]
    assert submit(api, every_type, {}).json()["code"] == "throttled"
    assert api.get(f"{URL}{every_type.token}/").status_code == HTTPStatus.OK


def test_submitting_records_when(api, every_type):
    before = timezone.now()

    submit(api, every_type, {"rate": 5})

    every_type.refresh_from_db()
    assert every_type.submitted_at is not None
    assert every_type.submitted_at >= before
