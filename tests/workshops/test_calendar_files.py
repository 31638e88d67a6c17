"""The calendar file a session's emails carry: its zone described for the years the session
falls in, so a calendar reads the local times right without a century of transitions."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import icalendar
import pytest

from tests.factories import SessionFactory
from workshops.calendar import session_calendar

pytestmark = pytest.mark.django_db

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def zone_of(session):
    calendar = icalendar.Calendar.from_ical(session_calendar(session).content)
    [zone] = calendar.walk("VTIMEZONE")
    [event] = calendar.walk("VEVENT")
    return zone, event


def transition_years(zone):
    years = set()
    for part in zone.subcomponents:
        years.add(part.decoded("DTSTART").year)
        rdates = part.get("RDATE", [])
        for rdate in rdates if isinstance(rdates, list) else [rdates]:
            years.update(moment.dt.year for moment in rdate.dts)
    return years


def test_a_summer_session_carries_its_years_daylight_saving_time():
    starts = datetime(2027, 7, 1, 14, 0, tzinfo=AMSTERDAM)
    session = SessionFactory.create(
        starts_at=starts, ends_at=starts.replace(hour=17), timezone="Europe/Amsterdam"
    )

    zone, event = zone_of(session)

    assert str(zone["TZID"]) == "Europe/Amsterdam"
    assert transition_years(zone) == {2027}
    summer = next(p for p in zone.subcomponents if p.name == "DAYLIGHT")
    # Local time in the zone (floating): the last Sunday of March, at 3.
    assert summer.decoded("DTSTART").timetuple()[:5] == (2027, 3, 28, 3, 0)
    assert str(event["DTSTART"].params["TZID"]) == "Europe/Amsterdam"
    assert event.decoded("DTSTART").astimezone(UTC) == datetime(2027, 7, 1, 12, 0, tzinfo=UTC)


def test_a_session_over_new_year_covers_both_years():
    starts = datetime(2027, 12, 31, 22, 0, tzinfo=AMSTERDAM)
    session = SessionFactory.create(
        starts_at=starts,
        ends_at=datetime(2028, 1, 1, 1, 0, tzinfo=AMSTERDAM),
        timezone="Europe/Amsterdam",
    )

    zone, event = zone_of(session)

    assert min(transition_years(zone)) == 2027
    assert 2028 in transition_years(zone)
    assert event.decoded("DTEND").astimezone(UTC) == datetime(2028, 1, 1, 0, 0, tzinfo=UTC)
