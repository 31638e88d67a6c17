from http import HTTPStatus

import pytest
from django.test import Client

from inquiries.models import Inquiry
from surveys.models import SurveyAnswer
from tests.factories import SurveyInvitationFactory

pytestmark = pytest.mark.django_db

FORM = {
    "overall": "4",
    "felt_heard": "5",
    "recommend": "10",
    "most_valuable": "Practising together",
    "could_be_better": "",
}


@pytest.fixture
def invitation():
    return SurveyInvitationFactory.create(participant__name="Ada")


def url(invitation) -> str:
    return f"/surveys/{invitation.token}/"


def test_the_form_shows_every_question_accessibly(client, invitation):
    response = client.get(url(invitation))

    assert response.status_code == HTTPStatus.OK
    page = response.content.decode()
    for question in invitation.template.questions.all():
        assert question.text.replace("'", "&#x27;") in page
    assert page.count("<fieldset") == 4  # ratings, recommendation, yes/no; texts have labels
    assert page.count("<legend>") == 4
    assert '<label for="q-most_valuable">' in page
    assert "(required)" in page
    assert "(optional)" in page
    assert "1 – not at all" in page
    assert "5 – very much" in page
    assert "10 – extremely likely" in page
    assert 'name="csrfmiddlewaretoken"' in page
    assert "<script" not in page
    assert "about three minutes" in page


def test_sending_the_form_stores_the_answers_and_says_thank_you(client, invitation):
    response = client.post(url(invitation), FORM, follow=True)

    assert response.redirect_chain == [(f"{url(invitation)}?thanks=1", HTTPStatus.FOUND)]
    assert "Thank you, Ada" in response.content.decode()
    answers = dict(SurveyAnswer.objects.values_list("key", "number"))
    assert answers == {"overall": 4, "felt_heard": 5, "recommend": 10, "most_valuable": None}
    assert SurveyAnswer.objects.get(key="most_valuable").text == "Practising together"


def test_a_missing_answer_is_announced_at_the_top_and_beside_the_question(client, invitation):
    response = client.post(url(invitation), {**FORM, "felt_heard": ""})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    page = response.content.decode()
    assert 'role="alert"' in page
    assert 'href="#q-felt_heard"' in page
    assert '<p class="error-text" id="err-felt_heard">Please answer this question.</p>' in page
    assert 'aria-describedby="err-felt_heard"' in page
    # What was given is still there, so nobody has to start again.
    assert 'name="overall" value="4" checked' in page
    assert "Practising together</textarea>" in page
    assert not SurveyAnswer.objects.exists()


def test_a_wish_for_guidance_from_the_form_reaches_the_practice(client, invitation):
    response = client.post(url(invitation), {**FORM, "wants_guidance": "yes"}, follow=True)

    assert "we'll write to you personally" in response.content.decode().replace("&#x27;", "'")
    assert Inquiry.objects.get().source == Inquiry.Source.SURVEY


def test_a_second_visit_gets_a_kind_note_and_a_second_post_changes_nothing(client, invitation):
    client.post(url(invitation), FORM)

    again = client.post(url(invitation), {**FORM, "overall": "1"}, follow=True)

    page = again.content.decode().replace("&#x27;", "'")
    assert "You've already shared your answers" in page
    assert "Send my answers" not in page  # no survey form, only the page's language choice
    assert SurveyAnswer.objects.get(key="overall").number == 4


def test_the_form_is_csrf_protected(invitation):
    response = Client(enforce_csrf_checks=True).post(url(invitation), FORM)

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not SurveyAnswer.objects.exists()


def test_an_unknown_survey_link_is_a_kind_404_page(client):
    response = client.get("/surveys/not-a-real-token/")

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert b"couldn" in response.content
