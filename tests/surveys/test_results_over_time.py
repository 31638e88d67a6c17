"""The practice's results by month, offering and facilitator, with charts; facilitators see
their own."""

from datetime import datetime, timedelta
from http import HTTPStatus
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from config.roles import FACILITATOR
from surveys import selectors
from surveys.services import survey_submit
from tests.factories import (
    FacilitatorFactory,
    OfferingFactory,
    SessionFactory,
    SurveyInvitationFactory,
)

pytestmark = pytest.mark.django_db

RESULTS = "/admin/surveys/surveyinvitation/results/"
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def answered(session, overall, recommend=10, felt_heard=5):
    invitation = SurveyInvitationFactory.create(
        participant__enrollment__session=session, session=session
    )
    survey_submit(
        invitation_id=invitation.pk,
        answers={"overall": overall, "felt_heard": felt_heard, "recommend": recommend},
    )


def session_on(day, offering=None):
    starts_at = datetime.fromisoformat(day).replace(hour=10, tzinfo=AMSTERDAM)
    return SessionFactory.create(
        starts_at=starts_at, **({"offering": offering} if offering else {})
    )


@pytest.fixture
def world():
    ada, sam = FacilitatorFactory.create(name="Ada"), FacilitatorFactory.create(name="Sam")
    listening = OfferingFactory.create(title="Listening", facilitators=[ada])
    boundaries = OfferingFactory.create(title="Boundaries", facilitators=[ada, sam])
    march = session_on("2026-03-10", listening)
    april = session_on("2026-04-01", boundaries)
    # 00:30 on 1 May in Amsterdam is still 30 April in UTC: it counts for May.
    may = SessionFactory.create(
        offering=boundaries, starts_at=datetime(2026, 5, 1, 0, 30, tzinfo=AMSTERDAM)
    )
    for score in (5, 4):
        answered(march, score, recommend=9)
    answered(april, 2, recommend=3)
    answered(may, 3, recommend=10)
    SurveyInvitationFactory.create(participant__enrollment__session=may, session=may)
    return {"ada": ada, "sam": sam, "listening": listening, "boundaries": boundaries}


def test_results_by_month_in_the_practice_time_zone(world):
    months = selectors.results_by_month(selectors.session_tallies(selectors.survey_invitations()))

    assert [(m.label, m.invited, m.answered, m.overall, m.nps) for m in months] == [
        ("March 2026", 2, 2, 4.5, 100),
        ("April 2026", 1, 1, 2.0, -100),
        ("May 2026", 2, 1, 3.0, 100),
    ]


def test_results_by_offering_and_by_facilitator(world):
    tallies = selectors.session_tallies(selectors.survey_invitations())

    by_offering = {
        r.label: (r.invited, r.answered, r.overall) for r in selectors.results_by_offering(tallies)
    }
    by_facilitator = {
        r.label: (r.invited, r.answered, r.overall)
        for r in selectors.results_by_facilitator(tallies)
    }

    assert by_offering == {"Listening": (2, 2, 4.5), "Boundaries": (3, 2, 2.5)}
    # Boundaries is led by both: it counts for each of them.
    assert by_facilitator == {"Ada": (5, 4, 3.5), "Sam": (3, 2, 2.5)}


@pytest.mark.parametrize("scope", ["all", "offering", "facilitator"])
def test_the_whole_summed_from_the_sessions_is_the_whole_counted_at_once(world, scope):
    arguments = {
        "all": {},
        "offering": {"offering": world["boundaries"]},
        "facilitator": {"facilitator": world["ada"]},
    }[scope]
    tallies = selectors.session_tallies(selectors.survey_invitations(**arguments))

    summed = selectors.survey_results(**arguments, tallies=tallies)

    assert summed == selectors.survey_results(**arguments)
    assert summed.invited > 0


def test_the_results_page_shows_months_offerings_and_facilitators_with_a_chart(admin_client, world):
    page = admin_client.get(RESULTS).content.decode()

    for heading in ("By month", "By offering", "By facilitator"):
        assert f"<h2>{heading}</h2>" in page
    assert "<svg" in page
    assert "Average rating by month: March 2026: 4.5" in page
    assert f'href="?facilitator={world["sam"].pk}"' in page
    sam = admin_client.get(f"{RESULTS}?facilitator={world['sam'].pk}").content.decode()
    assert "Boundaries" in sam
    assert "Listening" not in sam.split("<h2>By month</h2>")[1]


def test_a_facilitator_sees_results_of_their_own_offerings_only(client, as_role, world):
    user = as_role(FACILITATOR)
    world["sam"].user = user
    world["sam"].save()

    own = client.get(RESULTS)
    other = client.get(f"{RESULTS}?facilitator={world['ada'].pk}")
    not_theirs = client.get(f"{RESULTS}?offering={world['listening'].pk}")

    assert own.status_code == HTTPStatus.OK
    page = own.content.decode()
    assert "Boundaries" in page
    assert "Listening" not in page
    assert other.status_code == HTTPStatus.FORBIDDEN
    assert not_theirs.status_code == HTTPStatus.FORBIDDEN


def test_the_results_page_asks_the_same_number_of_queries_however_many_answered(
    admin_client, world
):
    def queries():
        with CaptureQueriesContext(connection) as run:
            assert admin_client.get(RESULTS).status_code == HTTPStatus.OK
        return len(run)

    few = queries()
    later = SessionFactory.create(
        offering=world["listening"], starts_at=timezone.now() - timedelta(days=2)
    )
    for score in (1, 2, 3, 4, 5, 5, 4):
        answered(later, score)

    assert queries() == few
