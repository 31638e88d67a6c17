"""The four staff roles of DESIGN.md: what each can and cannot see and do in the admin."""

import io
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.core.management import call_command
from django.utils import timezone

from billing.models import Refund
from config.roles import BOOKKEEPER, COORDINATOR, FACILITATOR, PRACTICE_LEAD, ROLES, sync_roles
from enrollments.models import Enrollment
from surveys.services import survey_submit
from tests.factories import (
    EnrollmentFactory,
    FacilitatorFactory,
    InquiryFactory,
    ParticipantFactory,
    PaymentFactory,
    SessionFactory,
    SurveyInvitationFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_settings", "eager_tasks")]

MESSAGE = "Since the panic attacks started I have been afraid to see clients."
WRITTEN = "The part about shame stayed with me all week."


def answered_survey(session, text=WRITTEN):
    invitation = SurveyInvitationFactory.create(
        participant__enrollment__session=session, session=session
    )
    survey_submit(
        invitation_id=invitation.pk,
        answers={"overall": 4, "felt_heard": 5, "recommend": 9, "most_valuable": text},
    )
    return invitation


def refund_posted(client, enrollment):
    return client.post(
        "/admin/enrollments/enrollment/",
        {
            "action": "refund",
            "_selected_action": [enrollment.pk],
            "apply": "1",
            "amount": "10.00",
        },
    )


def test_the_migration_made_the_roles_and_syncing_again_changes_nothing():
    # The test database was migrated: the data migration made the groups.
    assert set(Group.objects.values_list("name", flat=True)) >= set(ROLES)
    first = sync_roles()
    coordinator = Group.objects.get(name=COORDINATOR)
    coordinator.permissions.add(Permission.objects.get(codename="delete_enrollment"))

    call_command("sync_roles", stdout=io.StringIO())

    assert sync_roles() == first
    assert not coordinator.permissions.filter(codename="delete_enrollment").exists()
    assert first[PRACTICE_LEAD] == Permission.objects.count()


def test_a_bookkeeper_refunds_but_never_sees_what_people_wrote(client, as_role, stripe_refunds):
    inquiry = InquiryFactory.create(message=MESSAGE)
    enrollment = EnrollmentFactory.create()
    PaymentFactory.create(enrollment=enrollment)
    answered_survey(SessionFactory.create(starts_at=timezone.now() - timedelta(days=3)))
    as_role(BOOKKEEPER)

    inquiry_page = client.get(f"/admin/inquiries/inquiry/{inquiry.pk}/change/")
    results = client.get("/admin/surveys/surveyinvitation/results/")
    refund_posted(client, enrollment)

    assert inquiry_page.status_code == HTTPStatus.FORBIDDEN
    assert MESSAGE not in inquiry_page.content.decode()
    assert results.status_code == HTTPStatus.FORBIDDEN
    assert Refund.objects.filter(payment__payable_id=enrollment.pk).count() == 1


def test_a_coordinator_reads_inquiries_but_refunds_and_erases_nothing(
    client, as_role, stripe_refunds
):
    inquiry = InquiryFactory.create(message=MESSAGE)
    enrollment = EnrollmentFactory.create()
    PaymentFactory.create(enrollment=enrollment)
    as_role(COORDINATOR)

    page = client.get(f"/admin/inquiries/inquiry/{inquiry.pk}/change/").content.decode()
    refund_posted(client, enrollment)
    client.post(
        "/admin/inquiries/inquiry/",
        {"action": "erase_people", "_selected_action": [inquiry.pk], "confirmed": "yes"},
    )

    assert MESSAGE in page
    assert not Refund.objects.exists()
    inquiry.refresh_from_db()
    assert inquiry.message == MESSAGE


def test_without_the_permission_an_inquirys_message_and_notes_stay_hidden(client):
    inquiry = InquiryFactory.create(message=MESSAGE)
    inquiry.notes.create(text="She would like a call on Tuesdays.")
    staff = User.objects.create_user("desk", password="x", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_inquiry"))
    client.force_login(staff)

    page = client.get(f"/admin/inquiries/inquiry/{inquiry.pk}/change/").content.decode()

    assert inquiry.reference in page
    assert MESSAGE not in page
    assert "Tuesdays" not in page


def test_survey_free_text_is_for_those_whose_role_reads_it(client, as_role):
    session = SessionFactory.create(starts_at=timezone.now() - timedelta(days=3))
    invitation = answered_survey(session)
    invitation_page = f"/admin/surveys/surveyinvitation/{invitation.pk}/change/"
    results = f"/admin/surveys/surveyinvitation/results/?session={session.pk}"
    csv_export = f"/admin/surveys/surveyinvitation/results.csv?session={session.pk}"

    as_role(COORDINATOR)
    hidden = [client.get(invitation_page), client.get(results), client.get(csv_export)]
    as_role(PRACTICE_LEAD)
    shown = [client.get(invitation_page), client.get(results), client.get(csv_export)]

    def text(response) -> str:
        if response.streaming:
            return b"".join(response.streaming_content).decode()
        return response.content.decode()

    assert [r.status_code for r in hidden + shown] == [HTTPStatus.OK] * 6
    assert all(WRITTEN not in text(r) for r in hidden)
    assert all(WRITTEN in text(r) for r in shown)


def test_a_facilitator_sees_the_sessions_they_lead_and_nothing_else(client, as_role):
    theirs = SessionFactory.create(starts_at=timezone.now() - timedelta(days=3))
    other = SessionFactory.create(starts_at=timezone.now() - timedelta(days=3))
    attending = ParticipantFactory.create(
        enrollment=EnrollmentFactory.create(session=theirs), name="Noor Bakker"
    )
    ParticipantFactory.create(enrollment=EnrollmentFactory.create(session=other), name="Elsewhere")
    answered_survey(theirs)
    answered_survey(other)
    inquiry = InquiryFactory.create(message=MESSAGE)
    user = as_role(FACILITATOR)
    FacilitatorFactory.create(user=user).offerings.add(theirs.offering)

    sessions = client.get("/admin/workshops/session/").content.decode()
    roster = client.get("/admin/enrollments/participant/").content.decode()
    own_results = client.get(f"/admin/surveys/surveyinvitation/results/?session={theirs.pk}")
    other_results = client.get(f"/admin/surveys/surveyinvitation/results/?session={other.pk}")
    other_session = client.get(f"/admin/workshops/session/{other.pk}/change/")
    bookings = client.get("/admin/enrollments/enrollment/")
    inquiries = client.get(f"/admin/inquiries/inquiry/{inquiry.pk}/change/")

    assert str(theirs) in sessions
    assert str(other) not in sessions
    assert "Noor Bakker" in roster
    assert "Elsewhere" not in roster
    assert attending.email not in roster  # the roster is names
    assert own_results.status_code == HTTPStatus.OK
    assert WRITTEN not in own_results.content.decode()
    assert other_results.status_code == HTTPStatus.FORBIDDEN
    assert other_session.status_code == HTTPStatus.FOUND  # not one of theirs: not found
    assert bookings.status_code == HTTPStatus.FORBIDDEN
    assert inquiries.status_code == HTTPStatus.FORBIDDEN


def test_a_facilitator_marks_attendance_on_the_roster(client, as_role):
    session = SessionFactory.create()
    participant = ParticipantFactory.create(enrollment=EnrollmentFactory.create(session=session))
    user = as_role(FACILITATOR)
    FacilitatorFactory.create(user=user).offerings.add(session.offering)

    marked = client.post(
        f"/admin/enrollments/participant/roster/{session.pk}/",
        {f"attendance_{participant.pk}": "partial", f"minutes_{participant.pk}": "50"},
    )
    other = SessionFactory.create()
    elsewhere = client.get(f"/admin/enrollments/participant/roster/{other.pk}/")

    participant.refresh_from_db()
    assert marked.status_code == HTTPStatus.FOUND
    assert (participant.attendance, participant.minutes_attended) == ("partial", 50)
    assert elsewhere.status_code == HTTPStatus.NOT_FOUND  # not a session they lead


def test_a_coordinator_may_not_cancel_a_session_by_its_form_without_the_permission(client):
    session = SessionFactory.create()
    EnrollmentFactory.create(session=session)
    staff = User.objects.create_user("planner", password="x", is_staff=True)
    staff.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_session", "change_session"])
    )
    client.force_login(staff)
    form = client.get(f"/admin/workshops/session/{session.pk}/change/").context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(
        status="cancelled",
        starts_at_0=session.starts_at.strftime("%Y-%m-%d"),
        starts_at_1=session.starts_at.strftime("%H:%M:%S"),
        ends_at_0=session.ends_at.strftime("%Y-%m-%d"),
        ends_at_1=session.ends_at.strftime("%H:%M:%S"),
        offering=session.offering_id,
    )

    response = client.post(f"/admin/workshops/session/{session.pk}/change/", data, follow=True)

    assert "your role may not do that" in response.content.decode()  # saved, and told why
    session.refresh_from_db()
    assert session.status == "scheduled"
    assert Enrollment.objects.get().status == Enrollment.Status.CONFIRMED


def test_after_migrating_the_practice_lead_holds_every_permission_of_every_app():
    lead = Group.objects.get(name=PRACTICE_LEAD)

    # Those of apps migrated after the roles were made too (a second factor's devices).
    assert lead.permissions.filter(codename="add_totpdevice").exists()
    assert lead.permissions.count() == Permission.objects.count()


def test_a_facilitator_never_sees_another_sessions_history_or_its_offerings_dates(client, as_role):
    theirs = SessionFactory.create()
    other = SessionFactory.create(offering=theirs.offering, is_public=False, organization="Acme")
    unrelated = SessionFactory.create()
    user = as_role(FACILITATOR)
    FacilitatorFactory.create(user=user).offerings.add(theirs.offering)
    unrelated.save()  # a second history row

    own_history = client.get(f"/admin/workshops/session/{theirs.pk}/history/")
    history = client.get(f"/admin/workshops/session/{unrelated.pk}/history/")
    version = unrelated.history.earliest()
    old_version = client.get(
        f"/admin/workshops/session/{unrelated.pk}/history/{version.history_id}/"
    )
    other_offering = client.get(f"/admin/workshops/offering/{unrelated.offering_id}/change/")

    assert own_history.status_code == HTTPStatus.OK
    assert history.status_code == HTTPStatus.NOT_FOUND
    assert old_version.status_code == HTTPStatus.NOT_FOUND
    assert other_offering.status_code == HTTPStatus.FOUND  # not one of theirs
    assert other.pk  # the same offering's other dates are theirs too: they lead it


def test_a_bookkeeper_sees_no_survey_results_on_a_session(client, as_role):
    session = SessionFactory.create(starts_at=timezone.now() - timedelta(days=3))
    answered_survey(session)
    as_role(BOOKKEEPER)

    page = client.get(f"/admin/workshops/session/{session.pk}/change/").content.decode()

    assert 'class="survey-bar"' not in page
