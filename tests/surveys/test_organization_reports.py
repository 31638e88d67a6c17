"""An organization's report: totals from enough people, never a group narrowed below them."""

import itertools
import random
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from config.references import new_reference, new_token
from enrollments.models import Enrollment
from organizations.models import Organization, Proposal
from outbox.models import OutgoingMail
from surveys import selectors, services
from surveys.models import (
    OfferingSurvey,
    OrganizationReport,
    ReportedSession,
    SurveyAnswer,
    SurveyInvitation,
    SurveyQuestion,
)
from tests.factories import (
    EnrollmentFactory,
    OfferingFactory,
    ParticipantFactory,
    SessionFactory,
    SurveyQuestionFactory,
    SurveyTemplateFactory,
)

pytestmark = pytest.mark.django_db

MINIMUM = 5
Type = SurveyQuestion.Type


@pytest.fixture(autouse=True)
def _minimum(settings):
    settings.REPORT_MIN_RESPONDENTS = MINIMUM
    settings.SURVEY_CLOSES_DAYS = 14
    settings.FOLLOWUP_SURVEY_DELAY_HOURS = 24


# --- The rule, as a table ---------------------------------------------------------------------


def totals(groups):
    return [sum(counts.values()) for _dates, counts in groups]


@pytest.mark.parametrize(
    ("people_per_session", "groups_shown"),
    [
        ([6], [6]),  # one session, enough people
        ([4], []),  # too few: withheld
        ([5], [5]),  # exactly enough
        ([6, 6], [6, 6]),  # each session on its own
        ([3, 3], [6]),  # two small sessions only together
        ([6, 2], [6]),  # the second waits: total minus the first would be two people
        ([6, 2, 2], [6]),  # still waiting, four together
        ([6, 2, 3], [6, 5]),  # now the two join at once, as one group of five
        ([2, 6], [8]),  # a small first session joins the next one
        ([0, 6, 0, 1], [6]),  # sessions nobody answered change nothing
        ([1, 1, 1, 1, 1, 1], [5]),  # five sessions of one person: one group; the sixth waits
    ],
)
def test_sessions_join_the_report_only_in_groups_of_enough_people(people_per_session, groups_shown):
    entries = [(f"date {n}", {"4": people}) for n, people in enumerate(people_per_session)]

    assert totals(selectors.report_groups(entries, MINIMUM)) == groups_shown


@pytest.mark.parametrize("seed", range(30))
def test_no_difference_between_any_two_reports_narrows_a_group(seed):
    """Every report the organization ever saw (one per session counted) against every other,
    and every figure by date: each difference is nobody or at least the minimum."""
    chance = random.Random(seed)
    sessions = [
        (f"date {n}", {str(chance.randint(1, 5)): chance.choice([0, 1, 2, 3, 4, 6, 9])})
        for n in range(chance.randint(1, 9))
    ]
    seen = [selectors.report_groups(sessions[: n + 1], MINIMUM) for n in range(len(sessions))]

    shown_totals = [sum(totals(groups)) for groups in seen]
    for earlier, later in itertools.combinations(shown_totals, 2):
        assert later - earlier == 0 or later - earlier >= MINIMUM
    for before, after in itertools.pairwise(seen):
        assert after[: len(before)] == before  # what was shown stays as it was
    for groups in seen:
        assert all(total >= MINIMUM for total in totals(groups))
        # By date, groups are the only parts: leaving some out of the total leaves groups.
        for size in range(1, len(groups)):
            for part in itertools.combinations(totals(groups), size):
                assert sum(totals(groups)) - sum(part) >= MINIMUM


# --- The report, end to end ------------------------------------------------------------------


@pytest.fixture
def template():
    template = SurveyTemplateFactory.create(name="Team survey")
    for key, type_, required, extra in [
        ("overall", Type.RATING, True, {}),
        ("felt_heard", Type.RATING, False, {}),
        ("pace", Type.SINGLE_CHOICE, False, {"choices": ["Too slow", "Right", "Too fast"]}),
        ("recommend", Type.NPS, False, {}),
        ("tip", Type.FREE_TEXT, False, {}),
        ("wants_guidance", Type.YES_NO, False, {}),
    ]:
        SurveyQuestionFactory.create(
            template=template, key=key, type=type_, required=required, text=key, **extra
        )
    return template


@pytest.fixture
def clinic():
    return Organization.objects.create(name="Kliniek Noord", country="NL")


def organization_session(clinic, template, *, people, ended_days_ago=2):
    """A private session booked by the clinic through an accepted proposal, with its people
    invited to the survey."""
    ends_at = timezone.now() - timedelta(days=ended_days_ago)
    offering = OfferingFactory.create(kind="team_training")
    OfferingSurvey.objects.create(offering=offering, template=template)
    session = SessionFactory.create(
        offering=offering,
        is_public=False,
        organization=clinic.name,
        starts_at=ends_at - timedelta(hours=3),
        ends_at=ends_at,
    )
    booking = EnrollmentFactory.create(
        session=session, seats=people, organization=clinic.name, email="lead@noord.example"
    )
    Proposal.objects.create(
        reference=new_reference("PRO"),
        token=new_token(),
        organization=clinic,
        contact_name="Noor Lead",
        contact_email="lead@noord.example",
        offering=offering,
        seats=people,
        price_cents=50000,
        valid_until=timezone.localdate(),
        status=Proposal.Status.ACCEPTED,
        enrollment=booking,
        language="nl",
    )
    invitations = []
    for _ in range(people):
        participant = ParticipantFactory.create(enrollment=booking)
        invitations.append(
            SurveyInvitation.objects.create(
                participant=participant,
                session=session,
                template=template,
                token=new_token(),
                invited_at=ends_at + timedelta(days=1),
            )
        )
    return session, invitations


def answer(invitation, **answers):
    """Answered the day after the invitation, while the survey was open."""
    services.survey_submit(
        invitation_id=invitation.pk, answers=answers, now=invitation.invited_at + timedelta(days=1)
    )


def close_and_count(days=15):
    return services.organization_reports_send_due(now=timezone.now() + timedelta(days=days))


def the_report(client):
    report = OrganizationReport.objects.get()
    response = client.get(f"/reports/{report.token}/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == HTTPStatus.OK
    return response.content.decode()


def test_with_five_respondents_a_question_four_answered_is_hidden_the_others_shown(
    client, clinic, template
):
    _session, invitations = organization_session(clinic, template, people=7)
    for n, invitation in enumerate(invitations[:5]):
        answer(
            invitation,
            overall=str(5 - n % 2),  # 5, 4, 5, 4, 5
            pace="Right",
            recommend="9",
            tip="Sam was wonderful, but Jo interrupted everyone",
            wants_guidance="yes",
            **({"felt_heard": "2"} if n < 4 else {}),  # four of the five
        )

    assert close_and_count() == 1

    page = the_report(client)
    assert "Kliniek Noord" in page
    assert page.count("5 people answered.") == 3  # overall, pace, recommend
    assert "On average 4.6 out of 5." in page
    assert "Net Promoter Score: 100." in page
    assert "Right" in page
    assert "5 (100%)" in page
    felt_heard = page.split("Not shown yet")[1]
    assert "felt_heard" in felt_heard  # named among the questions not shown yet
    assert 'id="q-felt_heard"' not in page
    assert "Jo interrupted" not in page
    assert "tip" not in page
    assert "wants_guidance" not in page  # nor who asked for guidance
    assert "<svg" in page
    assert 'role="img"' in page
    assert "<script" not in page
    invited_answered = page.split("Together")[1]
    assert "<td>7</td><td>5</td>" in invited_answered


def test_a_report_below_the_threshold_says_kindly_that_results_are_withheld(
    client, clinic, template
):
    _session, invitations = organization_session(clinic, template, people=6)
    for invitation in invitations[:4]:
        answer(invitation, overall="5", felt_heard="5")
    close_and_count()

    page = the_report(client)
    assert 'id="report-withheld"' in page
    assert "withheld for now to protect your people's privacy" in page
    assert "out of 5" not in page


def test_a_small_later_session_waits_and_then_joins_with_the_next_as_one_group(
    client, clinic, template
):
    _first, six = organization_session(clinic, template, people=6, ended_days_ago=40)
    for invitation in six:
        answer(invitation, overall="5")
    close_and_count(days=0)
    _second, two = organization_session(clinic, template, people=2, ended_days_ago=25)
    for invitation in two:
        answer(invitation, overall="1")
    close_and_count(days=0)

    page = the_report(client)
    assert page.count("6 people answered.") == 1  # the two are held back
    assert "On average 5.0 out of 5." in page
    assert "By date" not in page

    _third, three = organization_session(clinic, template, people=3, ended_days_ago=2)
    for invitation in three:
        answer(invitation, overall="3")
    close_and_count()

    page = the_report(client)
    assert "11 people answered." in page
    by_date = page.split("By date")[1]
    assert "<td>6</td><td>5.0</td>" in by_date
    assert "<td>5</td><td>2.2</td>" in by_date  # the second and third together, never apart
    assert "<td>2</td>" not in by_date
    assert "<td>3</td><td>" not in by_date


def test_the_report_keeps_what_it_counted_whatever_happens_to_the_answers_later(
    client, clinic, template
):
    _session, invitations = organization_session(clinic, template, people=5)
    for invitation in invitations:
        answer(invitation, overall="4")
    close_and_count()
    before = the_report(client).split("<h1>")[1]

    SurveyAnswer.objects.filter(invitation=invitations[0]).delete()  # say, erased

    assert the_report(client).split("<h1>")[1] == before


def test_the_job_counts_each_closed_session_once_and_writes_to_its_contact(clinic, template):
    session, invitations = organization_session(clinic, template, people=5)
    answer(invitations[0], overall="4")
    public = SessionFactory.create(starts_at=timezone.now() - timedelta(days=30))
    ParticipantFactory.create(enrollment__session=public)

    assert close_and_count(days=10) == 0  # not closed yet
    assert close_and_count() == 1
    assert close_and_count() == 0

    entry = ReportedSession.objects.get()
    assert (entry.session, entry.invited, entry.answered) == (session, 5, 1)
    assert [q["key"] for q in entry.tally] == ["overall", "felt_heard", "pace", "recommend"]
    email = OutgoingMail.objects.get(kind="organization_report")
    assert email.to == "lead@noord.example"
    assert "Beste Noor Lead" in email.body_text  # the proposal's language
    assert f"/reports/{entry.report.token}/" in email.body_text


def test_an_unknown_report_link_is_a_kind_404(client):
    response = client.get(f"/reports/{new_token()}/")

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert "couldn&#x27;t find this report" in response.content.decode()


def test_the_report_page_reads_the_same_few_rows_however_many_answered(client, clinic, template):
    def queries():
        report = OrganizationReport.objects.get()
        with CaptureQueriesContext(connection) as run:
            client.get(f"/reports/{report.token}/")
        return len(run)

    _session, invitations = organization_session(clinic, template, people=5)
    for invitation in invitations:
        answer(invitation, overall="4", pace="Right")
    close_and_count()
    few = queries()
    _more, more = organization_session(clinic, template, people=40)
    for invitation in more:
        answer(invitation, overall="3", felt_heard="4", recommend="7")
    close_and_count()

    assert queries() == few


# --- Before anyone answers: who will see what -------------------------------------------------


def test_an_organization_survey_says_before_answering_what_the_organization_sees(
    client, clinic, template
):
    _session, invitations = organization_session(clinic, template, people=5)
    invitation = invitations[0]

    page = client.get(f"/surveys/{invitation.token}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    notice = page.split('id="survey-readers"')[1].split("</p>")[0]
    assert "Kliniek Noord" in notice
    assert f"at least {MINIMUM} different people" in notice
    assert "never your own words" in notice
    assert page.index('id="survey-readers"') < page.index('<form method="post" novalidate>')

    api = client.get(f"/api/v1/surveys/{invitation.token}/").json()
    assert api["readers"]["organization"] == "Kliniek Noord"
    assert api["readers"]["minimum_respondents"] == MINIMUM
    assert api["readers"]["closes_at"].endswith("Z")


def test_the_invitation_email_of_an_organization_session_says_so_and_others_do_not(
    clinic, template
):
    session, _invitations = organization_session(clinic, template, people=1)
    SurveyInvitation.objects.all().delete()
    public = SessionFactory.create(
        starts_at=session.starts_at, ends_at=session.ends_at, offering=session.offering
    )
    ParticipantFactory.create(enrollment__session=public, email="public@example.org")

    services.surveys_send_due()

    to_clinic = OutgoingMail.objects.get(kind="survey_invitation", to__contains="participant")
    to_public = OutgoingMail.objects.get(kind="survey_invitation", to="public@example.org")
    assert "Kliniek Noord" in to_clinic.body_text
    assert "never" in to_clinic.body_text
    assert "read only by us" in to_clinic.body_text
    assert "Kliniek Noord" not in to_public.body_text
    assert "Your answers are read only by us" in " ".join(to_public.body_text.split())


def public_invitation(*, started_days_ago: int, invited_days_ago: int) -> SurveyInvitation:
    """An invitation to the survey of a public session (no organization's)."""
    participant = ParticipantFactory.create(
        enrollment__session__starts_at=timezone.now() - timedelta(days=started_days_ago)
    )
    return SurveyInvitation.objects.create(
        participant=participant,
        session=participant.enrollment.session,
        template=SurveyTemplateFactory.create(),
        token=new_token(),
        invited_at=timezone.now() - timedelta(days=invited_days_ago),
    )


def test_a_public_session_invitation_promises_the_answers_stay_with_us(client):
    invitation = public_invitation(started_days_ago=2, invited_days_ago=0)

    page = client.get(f"/surveys/{invitation.token}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "Your answers are read only by us" in page
    api = client.get(f"/api/v1/surveys/{invitation.token}/").json()
    assert api["readers"] == {
        "organization": None,
        "minimum_respondents": MINIMUM,
        "closes_at": None,
    }


def test_an_organization_survey_takes_no_answers_once_closed(client, clinic, template):
    _session, invitations = organization_session(clinic, template, people=2, ended_days_ago=16)

    page = client.post(
        f"/surveys/{invitations[0].token}/", {"overall": "5"}, follow=True
    ).content.decode()
    assert 'id="survey-closed"' in page
    response = client.post(
        f"/api/v1/surveys/{invitations[1].token}/",
        {"answers": {"overall": 5}},
        content_type="application/json",
    )
    assert response.status_code == HTTPStatus.CONFLICT
    assert response.json()["code"] == "survey_closed"
    assert not SurveyAnswer.objects.exists()


def test_a_public_survey_stays_open_after_the_organization_closing_time(client):
    invitation = public_invitation(started_days_ago=20, invited_days_ago=18)
    SurveyQuestionFactory.create(template=invitation.template, key="overall")

    services.survey_submit(invitation_id=invitation.pk, answers={"overall": 4})

    assert SurveyAnswer.objects.get().number == 4


def test_no_invitation_goes_out_for_an_organization_survey_that_closed(clinic, template):
    session, _ = organization_session(clinic, template, people=2, ended_days_ago=20)
    SurveyInvitation.objects.all().delete()

    sent = services.surveys_send_due()

    assert sent.invited == 0
    assert not OutgoingMail.objects.filter(kind="survey_invitation").exists()
    assert Enrollment.objects.get(session=session).participants.count() == 2
    assert not mail.outbox
