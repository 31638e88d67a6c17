from datetime import timedelta

import pytest
import time_machine
from django.conf import settings as django_settings
from django.utils import timezone

from config.celery import app as celery_app
from enrollments.models import Enrollment
from outbox.models import OutgoingMail
from outbox.services import mail_queue
from outbox.tasks import dispatch_outbox
from surveys import services as surveys
from surveys import tasks
from surveys.models import OfferingSurvey, SurveyInvitation, SurveyQuestion, SurveyTemplate
from surveys.tasks import send_followup_surveys
from tests.factories import (
    EnrollmentFactory,
    ParticipantFactory,
    SessionFactory,
    SurveyInvitationFactory,
    SurveyQuestionFactory,
    SurveyTemplateFactory,
    default_survey_template,
)
from workshops.models import Session

pytestmark = pytest.mark.django_db


def ended_session(hours_ago: float = 48, **changes):
    ends_at = timezone.now() - timedelta(hours=hours_ago)
    return SessionFactory.create(starts_at=ends_at - timedelta(hours=3), ends_at=ends_at, **changes)


def participant(session, status=Enrollment.Status.CONFIRMED, **changes):
    enrollment = EnrollmentFactory.create(session=session, status=status)
    return ParticipantFactory.create(enrollment=enrollment, **changes)


def invitation_mails():
    return OutgoingMail.objects.filter(kind="survey_invitation")


def reminder_mails():
    return OutgoingMail.objects.filter(kind="survey_reminder")


def test_three_runs_invite_each_confirmed_participant_exactly_once():
    session = ended_session()
    enrollment = EnrollmentFactory.create(session=session, seats=2)
    ada = ParticipantFactory.create(enrollment=enrollment)
    bo = ParticipantFactory.create(enrollment=enrollment)
    cy = participant(session)

    results = [send_followup_surveys() for _ in range(3)]

    assert results == [
        {"invited": 3, "reminded": 0},
        {"invited": 0, "reminded": 0},
        {"invited": 0, "reminded": 0},
    ]
    assert SurveyInvitation.objects.count() == 3
    assert sorted(invitation_mails().values_list("to", flat=True)) == sorted(
        [ada.email, bo.email, cy.email]
    )


def test_a_run_out_of_time_stops_and_says_people_are_still_due(monkeypatch):
    monkeypatch.setattr(surveys, "DUE_BATCH", 1)
    session = ended_session()
    people = [participant(session) for _ in range(3)]

    # A budget of nothing: each run invites one batch (of one person here) and stops.
    runs = [surveys.surveys_send_due(budget_seconds=0) for _ in range(4)]

    assert runs == [
        surveys.SurveysSent(invited=1, reminded=0, unfinished=True),
        surveys.SurveysSent(invited=1, reminded=0, unfinished=True),
        surveys.SurveysSent(invited=1, reminded=0, unfinished=False),
        surveys.SurveysSent(invited=0, reminded=0, unfinished=False),
    ]
    assert sorted(invitation_mails().values_list("to", flat=True)) == sorted(
        person.email for person in people
    )


def test_someone_a_concurrent_run_invited_meanwhile_is_invited_once(monkeypatch):
    session = ended_session()
    people = [participant(session) for _ in range(4)]
    read = surveys._in_batches

    def raced(participants):
        for batch in read(participants):
            # Another run invites the first of them between this run's read and its write.
            first = batch[0]
            language = first.enrollment.language
            surveys._invite_many([first], default_survey_template(), timezone.now(), None, language)
            yield batch

    monkeypatch.setattr(surveys, "_in_batches", raced)

    assert surveys.surveys_send_due().invited == 3

    assert sorted(SurveyInvitation.objects.values_list("participant_id", flat=True)) == sorted(
        person.pk for person in people
    )
    assert sorted(invitation_mails().values_list("to", flat=True)) == sorted(
        person.email for person in people
    )


def test_an_invitation_written_with_others_reads_as_one_written_alone():
    session = ended_session()
    person = participant(session, name="Zoë & Łukasz <O'Brien>")
    participant(session)

    surveys.surveys_send_due()

    invitation = SurveyInvitation.objects.get(participant=person)
    merged = invitation_mails().get(to=person.email)
    alone = mail_queue(
        kind="survey_invitation",
        to=person.email,
        context=surveys._mail_context(
            session, None, name=person.name, survey_url=surveys.survey_url(invitation)
        ),
        kick=False,
    )
    assert alone is not None
    assert (merged.subject, merged.body_text, merged.body_html) == (
        alone.subject,
        alone.body_text,
        alone.body_html,
    )
    assert f'<a href="{surveys.survey_url(invitation)}">' in merged.body_html
    assert "Zoë &amp; Łukasz &lt;O&#x27;Brien&gt;" in merged.body_html


def test_people_are_read_in_batches_and_nobody_is_skipped(monkeypatch):
    monkeypatch.setattr(surveys, "DUE_BATCH", 2)
    sessions = [ended_session(), ended_session()]
    people = [participant(sessions[n % 2]) for n in range(5)]

    assert surveys.surveys_send_due().invited == 5
    assert sorted(SurveyInvitation.objects.values_list("participant_id", flat=True)) == sorted(
        person.pk for person in people
    )


def test_reminders_keep_to_the_budget_too():
    session = ended_session()
    for _ in range(2):
        participant(session)
    surveys.surveys_send_due()

    with time_machine.travel(timezone.now() + timedelta(days=3, minutes=1)):
        runs = [surveys.surveys_send_due(budget_seconds=0) for _ in range(3)]

    assert [(run.reminded, run.unfinished) for run in runs] == [(1, True), (1, False), (0, False)]
    assert reminder_mails().count() == 2


def test_the_job_queues_itself_again_until_a_big_session_is_done(
    monkeypatch, eager_tasks, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(tasks, "SWEEP_BUDGET_SECONDS", 0)  # one batch per run,
    monkeypatch.setattr(surveys, "DUE_BATCH", 1)  # of one invitation
    session = ended_session()
    people = [participant(session) for _ in range(3)]

    with django_capture_on_commit_callbacks(execute=True):
        first = send_followup_surveys()  # queues the second run, which queues the third

    assert first == {"invited": 1, "reminded": 0}
    assert sorted(SurveyInvitation.objects.values_list("participant_id", flat=True)) == sorted(
        person.pk for person in people
    )
    assert invitation_mails().count() == 3


def test_the_job_queues_one_sweep_for_its_emails_not_a_task_for_each(
    monkeypatch, django_capture_on_commit_callbacks
):
    queued: list[dict] = []
    monkeypatch.setattr(
        dispatch_outbox, "apply_async", lambda kwargs, **options: queued.append(kwargs)
    )
    session = ended_session()
    for _ in range(3):
        participant(session)

    with django_capture_on_commit_callbacks(execute=True):
        send_followup_surveys()

    assert queued == [{}]  # the sweep, which sends all three over one connection
    assert invitation_mails().filter(status=OutgoingMail.Status.QUEUED).count() == 3

    with (
        time_machine.travel(timezone.now() + timedelta(days=3, minutes=1)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        send_followup_surveys()

    assert queued == [{}, {}]  # reminders too
    assert reminder_mails().count() == 3


def test_a_run_with_nobody_to_write_to_queues_no_sweep(django_capture_on_commit_callbacks):
    participant(ended_session(), status=Enrollment.Status.CANCELLED)

    with django_capture_on_commit_callbacks() as callbacks:
        send_followup_surveys()

    assert callbacks == []


@pytest.mark.parametrize(
    "status",
    [
        Enrollment.Status.CANCELLED,
        Enrollment.Status.REFUNDED,
        Enrollment.Status.WAITLISTED,
        Enrollment.Status.EXPIRED,
    ],
)
def test_people_without_a_confirmed_seat_are_not_invited(status):
    session = ended_session()
    participant(session, status=status)

    surveys.surveys_send_due()

    assert not SurveyInvitation.objects.exists()
    assert not invitation_mails().exists()


def test_a_cancelled_session_sends_no_survey():
    session = ended_session(status=Session.Status.CANCELLED)
    participant(session)

    surveys.surveys_send_due()

    assert not SurveyInvitation.objects.exists()


def test_surveys_go_to_everyone_not_marked_absent():
    session = ended_session()
    came = participant(session, attendance="present")
    came_late = participant(session, attendance="partial", minutes_attended=45)
    participant(session, attendance="absent")
    unmarked = participant(session)  # attendance taken for the others, not for them

    surveys.surveys_send_due()

    invited = set(SurveyInvitation.objects.values_list("participant_id", flat=True))
    assert invited == {came.pk, came_late.pk, unmarked.pk}


def test_invitations_wait_for_the_delay_after_the_session_ends():
    session = ended_session(hours_ago=django_settings.FOLLOWUP_SURVEY_DELAY_HOURS - 1)
    person = participant(session)

    assert surveys.surveys_send_due().invited == 0

    with time_machine.travel(timezone.now() + timedelta(hours=1, minutes=1)):
        assert surveys.surveys_send_due().invited == 1
    assert SurveyInvitation.objects.get().participant == person


def test_the_delay_comes_from_the_settings(settings):
    settings.FOLLOWUP_SURVEY_DELAY_HOURS = 72
    participant(ended_session(hours_ago=48))

    assert surveys.surveys_send_due().invited == 0


def test_sessions_that_ended_long_ago_are_left_alone():
    participant(ended_session(hours_ago=24 * 40))

    assert surveys.surveys_send_due().invited == 0


def test_sessions_still_to_come_are_left_alone():
    participant(SessionFactory.create())

    assert surveys.surveys_send_due().invited == 0


def test_the_invitation_email_is_warm_and_carries_the_secret_link():
    session = ended_session()
    person = participant(session, name="Ada")

    surveys.surveys_send_due()

    invitation = SurveyInvitation.objects.get()
    mail = invitation_mails().get()
    assert mail.to == person.email
    assert len(invitation.token) >= 43  # 256 bits, URL-safe
    assert f"http://localhost:8000/surveys/{invitation.token}/" in mail.body_text
    assert "Dear Ada" in mail.body_text
    assert "about three minutes" in mail.body_text
    assert "optional" in mail.body_text
    assert session.display_title in mail.subject


def test_the_default_template_is_used_unless_the_offering_has_its_own():
    own = SurveyTemplateFactory.create()
    SurveyQuestionFactory.create(template=own)
    custom = ended_session()
    OfferingSurvey.objects.create(offering=custom.offering, template=own)
    participant(custom)
    participant(ended_session())

    surveys.surveys_send_due()

    templates = dict(SurveyInvitation.objects.values_list("session_id", "template_id"))
    assert templates[custom.pk] == own.pk
    assert set(templates.values()) == {own.pk, default_survey_template().pk}


def test_without_any_template_nobody_is_invited_and_nothing_breaks():
    default_survey_template().delete()
    participant(ended_session())

    assert surveys.surveys_send_due().invited == 0


def test_a_reminder_goes_once_three_days_later_to_those_who_have_not_answered():
    session = ended_session()
    waiting = participant(session)
    answered = participant(session)
    surveys.surveys_send_due()
    SurveyInvitation.objects.filter(participant=answered).update(submitted_at=timezone.now())

    with time_machine.travel(timezone.now() + timedelta(days=2, hours=23)):
        assert surveys.surveys_send_due().reminded == 0
    assert not reminder_mails().exists()

    with time_machine.travel(timezone.now() + timedelta(days=3, minutes=1)):
        runs = [send_followup_surveys()["reminded"] for _ in range(3)]

    assert runs == [1, 0, 0]
    assert list(reminder_mails().values_list("to", flat=True)) == [waiting.email]
    reminder = reminder_mails().get()
    invitation = SurveyInvitation.objects.get(participant=waiting)
    assert invitation.reminded_at is not None
    assert f"/surveys/{invitation.token}/" in reminder.body_text
    assert invitation_mails().count() == 2  # and no second invitation


def test_no_reminder_for_invitations_from_long_ago():
    SurveyInvitationFactory.create(invited_at=timezone.now() - timedelta(days=45))

    assert surveys.surveys_send_due().reminded == 0


def test_the_default_template_is_seeded_with_the_six_questions():
    template = SurveyTemplate.objects.get(is_default=True)  # by the data migration

    questions = list(template.questions.values_list("key", "type", "required"))

    assert questions == [
        ("overall", SurveyQuestion.Type.RATING, True),
        ("felt_heard", SurveyQuestion.Type.RATING, True),
        ("recommend", SurveyQuestion.Type.NPS, True),
        ("most_valuable", SurveyQuestion.Type.FREE_TEXT, False),
        ("could_be_better", SurveyQuestion.Type.FREE_TEXT, False),
        ("wants_guidance", SurveyQuestion.Type.YES_NO, False),
    ]


def test_the_job_runs_hourly_by_its_documented_name():
    entries = [
        entry
        for entry in django_settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] == "enrollments.send_followup_surveys"
    ]

    assert len(entries) == 1
    assert entries[0]["schedule"] == 3600.0
    assert "expires" in entries[0]["options"]  # type: ignore[operator]
    assert send_followup_surveys.name == "enrollments.send_followup_surveys"
    assert "enrollments.send_followup_surveys" in celery_app.tasks
