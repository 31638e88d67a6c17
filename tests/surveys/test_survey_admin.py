import csv
import io
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.contrib.auth.models import Permission, User
from django.core.exceptions import ValidationError
from django.utils import timezone

from surveys.models import SurveyInvitation, SurveyQuestion, SurveyTemplate
from surveys.services import survey_submit
from tests.factories import (
    SessionFactory,
    SurveyInvitationFactory,
    SurveyQuestionFactory,
    default_survey_template,
)

pytestmark = pytest.mark.django_db

INVITATIONS = "/admin/surveys/surveyinvitation/"
RESULTS = f"{INVITATIONS}results/"
CSV_EXPORT = f"{INVITATIONS}results.csv"


def answered(session, **answers):
    invitation = SurveyInvitationFactory.create(
        participant__enrollment__session=session, session=session
    )
    base = {"overall": 5, "felt_heard": 5, "recommend": 10}
    return survey_submit(invitation_id=invitation.pk, answers={**base, **answers})


@pytest.fixture
def session():
    return SessionFactory.create(starts_at=timezone.now() - timedelta(days=3))


def read_csv(response) -> list[dict[str, str]]:
    assert response.streaming
    content = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(content)))


@pytest.mark.parametrize(
    "path",
    [
        "/admin/surveys/surveytemplate/",
        "/admin/surveys/surveytemplate/add/",
        INVITATIONS,
        f"{INVITATIONS}?flagged__exact=1",
        f"{INVITATIONS}?answered=no",
        RESULTS,
    ],
)
def test_survey_admin_pages_open(admin_client, session, path):
    answered(session)

    assert admin_client.get(path).status_code == HTTPStatus.OK


def test_the_default_template_page_lists_its_questions(admin_client):
    template = default_survey_template()

    page = admin_client.get(f"/admin/surveys/surveytemplate/{template.pk}/change/")

    assert page.status_code == HTTPStatus.OK
    assert b"I felt heard and respected." in page.content
    assert b"offering_surveys-TOTAL_FORMS" in page.content


def test_an_invitation_page_shows_the_answers_read_only(admin_client, session):
    invitation = answered(session, most_valuable="Being listened to", wants_guidance=True)

    page = admin_client.get(f"{INVITATIONS}{invitation.pk}/change/").content.decode()

    assert "Being listened to" in page
    assert "<td>yes</td>" in page
    assert f"{RESULTS}?session={session.pk}" in page
    assert 'name="_save"' not in page


def test_flagged_answers_come_first(admin_client, session):
    answered(session, overall=5)
    low = answered(session, overall=1)
    answered(session, overall=4)

    page = admin_client.get(INVITATIONS)

    assert page.context["cl"].result_list[0] == low


def test_results_show_numbers_and_bars_per_session(admin_client, session):
    answered(session, overall=5, recommend=10, could_be_better="More breaks")
    answered(session, overall=3, recommend=3)

    page = admin_client.get(f"{RESULTS}?session={session.pk}").content.decode()

    assert str(session) in page
    assert "4.0" in page  # the average rating
    assert "100%" in page  # response rate
    assert '<span class="survey-bar" style="width: 50%"></span>' in page
    assert "NPS 0: 1 promoter(s) (9–10), 0 passive(s) (7–8), 1 detractor(s) (0–6)" in page
    assert "More breaks" in page
    assert f"results.csv?session={session.pk}" in page


def test_results_per_offering_list_its_sessions(admin_client, session):
    later = SessionFactory.create(offering=session.offering, starts_at=session.starts_at)
    answered(session)
    answered(later, overall=1)

    page = admin_client.get(f"{RESULTS}?offering={session.offering_id}").content.decode()

    assert f'href="?session={session.pk}"' in page
    assert f'href="?session={later.pk}"' in page
    assert "3.0" in page


@pytest.mark.parametrize("query", ["session=999999", "offering=999999", "session=abc"])
def test_results_for_an_unknown_scope_are_404(admin_client, query):
    assert admin_client.get(f"{RESULTS}?{query}").status_code == HTTPStatus.NOT_FOUND


def test_the_csv_export_has_one_row_per_answered_invitation(admin_client, session):
    first = answered(session, overall=4, recommend=9, most_valuable="The pauses")
    second = answered(session, overall=2, wants_guidance="no")
    SurveyInvitationFactory.create(participant__enrollment__session=session, session=session)
    answered(SessionFactory.create(starts_at=session.starts_at))  # another offering

    response = admin_client.get(f"{CSV_EXPORT}?session={session.pk}")

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert f"survey-answers-session-{session.pk}.csv" in response["Content-Disposition"]
    rows = read_csv(response)
    assert [row["invitation id"] for row in rows] == [str(first.pk), str(second.pk)]
    assert list(rows[0])[-6:] == [
        "overall",
        "felt_heard",
        "recommend",
        "most_valuable",
        "could_be_better",
        "wants_guidance",
    ]
    assert rows[0]["overall"] == "4"
    assert rows[0]["most_valuable"] == "The pauses"
    assert rows[0]["wants_guidance"] == ""
    assert rows[1]["wants_guidance"] == "no"
    assert rows[1]["flagged for attention"] == "yes"
    assert "email" not in rows[0]


@pytest.mark.parametrize("text", ['=HYPERLINK("http://evil")', "+1+1", "-2", "@SUM(A1)"])
def test_the_csv_export_defuses_formulas(admin_client, session, text):
    answered(session, could_be_better=text)

    rows = read_csv(admin_client.get(CSV_EXPORT))

    assert rows[0]["could_be_better"] == "'" + text


def test_the_csv_export_keeps_answers_to_questions_removed_since(admin_client, session):
    answered(session, most_valuable="Still here")
    default_survey_template().questions.filter(key="most_valuable").delete()

    rows = read_csv(admin_client.get(CSV_EXPORT))

    assert rows[0]["most_valuable"] == "Still here"


def test_results_are_for_staff_with_permission_only(client, session):
    assert client.get(RESULTS).status_code == HTTPStatus.FOUND  # to the login page
    assert client.get(CSV_EXPORT).status_code == HTTPStatus.FOUND

    staff = User.objects.create_user("helper", password="x", is_staff=True)
    client.force_login(staff)
    assert client.get(RESULTS).status_code == HTTPStatus.FORBIDDEN
    assert client.get(CSV_EXPORT).status_code == HTTPStatus.FORBIDDEN

    staff.user_permissions.add(Permission.objects.get(codename="view_survey_results"))
    assert client.get(CSV_EXPORT).status_code == HTTPStatus.OK


def test_invitations_cannot_be_added_or_deleted_in_the_admin(admin_client, session):
    invitation = answered(session)

    assert admin_client.get(f"{INVITATIONS}add/").status_code == HTTPStatus.FORBIDDEN
    admin_client.post(f"{INVITATIONS}{invitation.pk}/delete/", {"post": "yes"})
    assert SurveyInvitation.objects.filter(pk=invitation.pk).exists()


def test_only_one_template_can_be_the_default():
    default_survey_template()

    with pytest.raises(ValidationError, match="default"):
        SurveyTemplate(name="Another", is_default=True).full_clean()


@pytest.mark.parametrize(
    ("type_", "choices", "valid"),
    [
        (SurveyQuestion.Type.SINGLE_CHOICE, ["Online", "In person"], True),
        (SurveyQuestion.Type.SINGLE_CHOICE, ["Only one"], False),
        (SurveyQuestion.Type.SINGLE_CHOICE, [], False),
        (SurveyQuestion.Type.SINGLE_CHOICE, ["Fine", ""], False),
        (SurveyQuestion.Type.RATING, [], True),
        (SurveyQuestion.Type.RATING, ["a", "b"], False),
    ],
)
def test_only_choice_questions_have_choices(type_, choices, valid):
    question = SurveyQuestionFactory.build(
        template=default_survey_template(), type=type_, choices=choices
    )

    if valid:
        question.full_clean()
    else:
        with pytest.raises(ValidationError, match="choice"):
            question.full_clean()


@pytest.mark.parametrize("page", ["session", "offering"])
def test_results_show_as_bars_on_the_session_and_offering_pages(admin_client, session, page):
    answered(session, overall=5, recommend=10)
    answered(session, overall=2, recommend=3)
    target = session if page == "session" else session.offering

    html = admin_client.get(f"/admin/workshops/{page}/{target.pk}/change/").content.decode()

    assert 'class="survey-bar"' in html
    assert "surveys/survey_bars.css" in html
    assert "<dt>Answered</dt><dd>2 (100%)</dd>" in html
    assert "<dt>NPS</dt><dd>0</dd>" in html  # one promoter, one detractor
    assert f"results/?{page}={target.pk}" in html
