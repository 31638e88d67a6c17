"""A session's roster: attendance marked per participant, printed, and exported."""

import csv
import io
from http import HTTPStatus

import pytest
from django.contrib.admin.models import LogEntry

from config.errors import InvalidInput
from config.roles import BOOKKEEPER, COORDINATOR, FACILITATOR
from enrollments.models import Enrollment, Participant
from enrollments.services.attendance import Mark, attendance_mark
from tests.factories import (
    EnrollmentFactory,
    FacilitatorFactory,
    ParticipantFactory,
    SessionFactory,
)

pytestmark = pytest.mark.django_db


def roster_url(session, shape=""):
    return f"/admin/enrollments/participant/roster/{session.pk}/" + (f"{shape}/" if shape else "")


def on(session, *, status=Enrollment.Status.CONFIRMED, **changes):
    return ParticipantFactory.create(
        enrollment=EnrollmentFactory.create(session=session, status=status), **changes
    )


def downloaded(response):
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_marks_are_kept_per_participant_with_minutes_for_part_of_the_session():
    session = SessionFactory.create()  # a 180-minute offering
    ada, bo, cy = on(session), on(session), on(session)

    changed = attendance_mark(
        session_id=session.pk,
        marks={ada.pk: Mark("present"), bo.pk: Mark("partial", 95), cy.pk: Mark("absent")},
    )

    kept = {p.pk: (p.attendance, p.minutes_attended) for p in Participant.objects.all()}
    assert kept == {ada.pk: ("present", None), bo.pk: ("partial", 95), cy.pk: ("absent", None)}
    assert {p.pk for p in changed} == {ada.pk, bo.pk, cy.pk}
    assert all(p.attendance_marked_at for p in Participant.objects.all())


def test_a_mark_given_again_changes_nothing():
    session = SessionFactory.create()
    ada = on(session, attendance="present")

    assert attendance_mark(session_id=session.pk, marks={ada.pk: Mark("present")}) == []


@pytest.mark.parametrize(
    "mark",
    [Mark("partial"), Mark("partial", 0), Mark("partial", 180), Mark("present", 30), Mark("late")],
)
def test_a_mark_that_does_not_add_up_is_refused_and_nothing_is_kept(mark):
    session = SessionFactory.create()
    ada, bo = on(session), on(session)

    with pytest.raises(InvalidInput) as refused:
        attendance_mark(session_id=session.pk, marks={ada.pk: Mark("present"), bo.pk: mark})

    assert list(refused.value.fields or {}) == [str(bo.pk)]
    assert set(Participant.objects.values_list("attendance", flat=True)) == {""}


def test_only_people_on_the_sessions_roster_can_be_marked():
    session = SessionFactory.create()
    cancelled = on(session, status=Enrollment.Status.CANCELLED)
    elsewhere = on(SessionFactory.create())

    with pytest.raises(InvalidInput) as refused:
        attendance_mark(
            session_id=session.pk,
            marks={cancelled.pk: Mark("present"), elsewhere.pk: Mark("present")},
        )

    assert set(refused.value.fields or {}) == {str(cancelled.pk), str(elsewhere.pk)}


def test_a_coordinator_marks_the_roster_and_each_change_is_logged(client, as_role):
    session = SessionFactory.create()
    ada, bo = on(session, name="Ada Vos"), on(session, name="Bo Smit")
    on(session, status=Enrollment.Status.CANCELLED, name="Cas Cancelled")
    as_role(COORDINATOR)

    page = client.get(roster_url(session)).content.decode()
    saved = client.post(
        roster_url(session),
        {
            f"attendance_{ada.pk}": "present",
            f"attendance_{bo.pk}": "partial",
            f"minutes_{bo.pk}": "60",
        },
        follow=True,
    )

    assert "Ada Vos" in page
    assert "Bo Smit" in page
    assert "Cas Cancelled" not in page
    assert ada.email in page  # a coordinator sees how to reach them
    assert "Attendance kept for 2 participant(s)." in saved.content.decode()
    assert "1 present, 1 part of the session, 0 absent, 0 not taken yet" in " ".join(
        saved.content.decode().split()
    )
    logged = LogEntry.objects.filter(object_id__in=[str(ada.pk), str(bo.pk)])
    assert sorted(logged.values_list("change_message", flat=True)) == [
        "Attendance: Part of the session (60 min).",
        "Attendance: Present.",
    ]


def test_a_roster_with_a_mark_to_mend_keeps_nothing_and_says_which(client, as_role):
    session = SessionFactory.create()
    ada, bo = on(session), on(session)
    as_role(COORDINATOR)

    response = client.post(
        roster_url(session), {f"attendance_{ada.pk}": "present", f"attendance_{bo.pk}": "partial"}
    )

    assert response.status_code == HTTPStatus.OK
    assert "give the minutes attended: 1 to 179" in response.content.decode()
    assert set(Participant.objects.values_list("attendance", flat=True)) == {""}


def test_the_roster_downloads_as_csv_and_prints_on_a_page_of_its_own(client, as_role):
    session = SessionFactory.create(timezone="Europe/Amsterdam")
    on(session, name="Ada Vos", attendance="partial", minutes_attended=90)
    as_role(COORDINATOR)

    rows = downloaded(client.get(roster_url(session, "csv")))
    printed = client.get(roster_url(session, "print")).content.decode()

    assert [(r["name"], r["attendance"], r["minutes_attended"]) for r in rows] == [
        ("Ada Vos", "partial", "90")
    ]
    assert rows[0]["time_zone"] == "Europe/Amsterdam"
    assert rows[0]["email"]
    assert "Ada Vos" in printed
    assert "Part of the session (90 min)" in printed
    assert 'id="header"' not in printed  # no admin chrome on paper
    assert LogEntry.objects.filter(change_message="Exported its attendance as CSV.").exists()


def test_a_facilitator_has_the_roster_of_their_own_sessions_by_name_only(client, as_role):
    session, other = SessionFactory.create(), SessionFactory.create()
    ada = on(session, name="Ada Vos")
    user = as_role(FACILITATOR)
    FacilitatorFactory.create(user=user).offerings.add(session.offering)

    page = client.get(roster_url(session)).content.decode()
    rows = downloaded(client.get(roster_url(session, "csv")))

    assert "Ada Vos" in page
    assert ada.email not in page
    assert "email" not in rows[0]
    assert rows[0]["name"] == "Ada Vos"
    assert client.get(roster_url(other)).status_code == HTTPStatus.NOT_FOUND
    assert client.get(roster_url(other, "csv")).status_code == HTTPStatus.NOT_FOUND
    assert client.get(roster_url(session, "other")).status_code == HTTPStatus.NOT_FOUND


def test_a_bookkeeper_has_no_roster(client, as_role):
    session = SessionFactory.create()
    ada = on(session)
    as_role(BOOKKEEPER)

    assert client.get(roster_url(session)).status_code == HTTPStatus.NOT_FOUND
    refused = client.post(roster_url(session), {f"attendance_{ada.pk}": "absent"})
    assert refused.status_code == HTTPStatus.NOT_FOUND
    assert Participant.objects.get().attendance == ""


def test_attendance_of_many_sessions_exports_from_the_participant_list(admin_client):
    first, second = SessionFactory.create(), SessionFactory.create()
    ada = on(first, name="Ada Vos", attendance="present")
    bo = on(second, name="Bo Smit", attendance="absent")

    response = admin_client.post(
        "/admin/enrollments/participant/",
        {"action": "export_csv", "_selected_action": [ada.pk, bo.pk]},
    )

    assert {(r["name"], r["attendance"], r["session"]) for r in downloaded(response)} == {
        ("Ada Vos", "present", str(first.pk)),
        ("Bo Smit", "absent", str(second.pk)),
    }


def test_sessions_link_to_their_roster(admin_client):
    session = SessionFactory.create()

    listed = admin_client.get("/admin/workshops/session/").content.decode()
    shown = admin_client.get(f"/admin/workshops/session/{session.pk}/change/").content.decode()

    assert roster_url(session) in listed
    assert roster_url(session) in shown
