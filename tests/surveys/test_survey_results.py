from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from surveys import selectors
from surveys.services import survey_submit
from tests.factories import SessionFactory, SurveyInvitationFactory

pytestmark = pytest.mark.django_db


def past_session(**changes):
    starts_at = timezone.now() - timedelta(days=3)
    return SessionFactory.create(starts_at=starts_at, **changes)


def answered(session, overall=5, felt_heard=5, recommend=10, **more):
    invitation = SurveyInvitationFactory.create(
        participant__enrollment__session=session, session=session
    )
    answers = {"overall": overall, "felt_heard": felt_heard, "recommend": recommend, **more}
    return survey_submit(invitation_id=invitation.pk, answers=answers)


def not_answered(session):
    return SurveyInvitationFactory.create(participant__enrollment__session=session, session=session)


@pytest.mark.parametrize(
    ("scores", "nps"),
    [
        ([10, 9, 7, 3], 25),  # 2 promoters, 1 passive, 1 detractor of 4
        ([10, 10, 10], 100),
        ([0, 6, 5], -100),
        ([7, 8], 0),
        ([9, 6, 8], 0),
        ([10, 0, 0], -33),  # -33.3
        ([10, 10, 0], 33),
        ([9, 9, 9, 6, 6, 7, 7, 7], 13),  # 12.5, rounded half away from zero
        ([0, 0, 0, 9, 9, 7, 7, 7], -13),  # -12.5
    ],
)
def test_nps_is_percent_promoters_minus_percent_detractors(scores, nps):
    session = past_session()
    for score in scores:
        answered(session, recommend=score)

    results = selectors.survey_results(session=session)

    assert results.nps.score == nps
    assert results.nps.total == len(scores)


def test_averages_and_counts_on_a_known_set():
    session = past_session()
    answered(session, overall=5, felt_heard=5, recommend=10)
    answered(session, overall=4, felt_heard=5, recommend=9)
    answered(session, overall=4, felt_heard=4, recommend=7)
    answered(session, overall=2, felt_heard=3, recommend=3)
    not_answered(session)

    results = selectors.survey_results(session=session)

    assert results.invited == 5
    assert results.answered == 4
    assert results.response_rate == 80
    assert results.overall.average == Decimal("3.8")  # 3.75
    assert results.felt_heard.average == Decimal("4.3")  # 4.25
    assert results.overall.counts == {1: 0, 2: 1, 3: 0, 4: 2, 5: 1}
    assert results.overall.bars == [(5, 1, 25), (4, 2, 50), (3, 0, 0), (2, 1, 25), (1, 0, 0)]
    assert (results.nps.promoters, results.nps.passives, results.nps.detractors) == (2, 1, 1)
    assert results.nps.score == 25
    assert results.nps.parts == [("detractors", 1, 25), ("passives", 1, 25), ("promoters", 2, 50)]


def test_nothing_to_count_gives_empty_results_not_zeros():
    results = selectors.survey_results()

    assert results.invited == 0
    assert results.answered == 0
    assert results.response_rate is None
    assert results.overall.average is None
    assert results.felt_heard.average is None
    assert results.overall.counts == {1: 0, 2: 0, 3: 0, 4: 0, 5: 0}
    assert results.overall.bars[0] == (5, 0, 0)
    assert results.nps.score is None
    assert results.nps.parts == [("detractors", 0, 0), ("passives", 0, 0), ("promoters", 0, 0)]
    assert results.free_text == []


def test_invited_but_nobody_answered_yet():
    session = past_session()
    not_answered(session)
    not_answered(session)

    results = selectors.survey_results(session=session)

    assert results.invited == 2
    assert results.response_rate == 0
    assert results.overall.average is None
    assert results.nps.score is None


def test_an_offering_counts_all_its_sessions_and_nothing_else():
    first = past_session()
    second = past_session(offering=first.offering)
    other = past_session()
    answered(first, overall=5, recommend=10)
    answered(second, overall=3, recommend=0)
    answered(other, overall=1, recommend=0)

    by_offering = selectors.survey_results(offering=first.offering)
    by_session = selectors.survey_results(session=second)

    assert (by_offering.answered, by_offering.overall.average, by_offering.nps.score) == (
        2,
        Decimal("4.0"),
        0,
    )
    assert (by_session.answered, by_session.overall.average, by_session.nps.score) == (
        1,
        Decimal("3.0"),
        -100,
    )
    assert selectors.survey_results().answered == 3


def test_free_text_answers_are_listed_newest_first_with_their_question():
    session = past_session()
    answered(session, most_valuable="The pauses")
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        answered(session, could_be_better="A longer lunch", most_valuable="")

    texts = [(a.question, a.text) for a in selectors.survey_results(session=session).free_text]

    assert texts == [
        ("What could we do better?", "A longer lunch"),
        ("What was most valuable for you?", "The pauses"),
    ]


def test_written_answers_name_their_own_session_in_every_scope(django_assert_num_queries):
    first = past_session(title="Holding space")
    second = past_session(title="Repair after rupture")
    answered(first, most_valuable="The pauses")
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        answered(second, most_valuable="Being asked")

    with django_assert_num_queries(2):  # the tallies, then the written answers
        everything = selectors.survey_results().free_text
    one_offering = selectors.survey_results(offering=second.offering).free_text

    assert [(a.text, str(a.session)) for a in everything] == [
        ("Being asked", str(second)),
        ("The pauses", str(first)),
    ]
    assert everything[0].session.offering.title == second.offering.title
    assert [a.text for a in one_offering] == ["Being asked"]


def test_sessions_are_listed_with_their_own_counts():
    busy = past_session()
    quiet = past_session(offering=busy.offering)
    answered(busy, overall=5)
    answered(busy, overall=2)
    not_answered(busy)
    not_answered(quiet)
    past_session(offering=busy.offering)  # invited nobody: not listed

    tallies = selectors.session_tallies(selectors.survey_invitations(offering=busy.offering))
    rows = {row.session.pk: row for row in selectors.survey_sessions(tallies)}

    assert set(rows) == {busy.pk, quiet.pk}
    assert (rows[busy.pk].invited, rows[busy.pk].answered) == (3, 2)
    assert rows[busy.pk].average_overall == Decimal("3.5")
    assert rows[quiet.pk].average_overall is None
