"""Secret links and what people tell us stay out of caches, other sites and the wrong eyes."""

from http import HTTPStatus

import pytest
from django.contrib.auth.models import Permission, User

from outbox.models import OutgoingMail
from tests.factories import EnrollmentFactory, SurveyInvitationFactory

pytestmark = pytest.mark.django_db


def never_kept(response) -> bool:
    control = response["Cache-Control"]
    return "no-store" in control and "private" in control


def test_secret_link_pages_and_their_api_answers_are_never_kept_by_a_cache(client, api):
    booking = EnrollmentFactory.create()
    invitation = SurveyInvitationFactory.create()

    answers = [
        client.get(f"/enrollments/{booking.token}/"),
        client.get(f"/surveys/{invitation.token}/"),
        api.get(f"/api/v1/enrollments/{booking.token}/"),
        api.get(f"/api/v1/surveys/{invitation.token}/"),
        api.post("/api/v1/enrollments/", {}, format="json"),  # its answer holds a new link
        api.post("/api/v1/inquiries/", {}, format="json"),
    ]

    assert all(never_kept(answer) for answer in answers), [a["Cache-Control"] for a in answers]


def test_the_catalog_may_still_be_cached(api):
    assert "no-store" not in api.get("/api/v1/offerings/").get("Cache-Control", "")


def test_pages_say_where_their_scripts_and_forms_may_come_from(client, admin_client):
    booking = EnrollmentFactory.create()

    for page in (client.get(f"/enrollments/{booking.token}/"), admin_client.get("/admin/")):
        policy = page["Content-Security-Policy"]
        assert "script-src 'self'" in policy
        assert "frame-ancestors 'none'" in policy
        assert "form-action 'self'" in policy


def test_an_emails_secret_links_are_hidden_from_staff_who_may_not_change_bookings(client):
    booking = EnrollmentFactory.create()
    mail = OutgoingMail.objects.create(
        kind="enrollment_confirmation",
        to="ada@example.org",
        subject="Your place is confirmed",
        body_text=f"Manage it here: https://book.example.org/enrollments/{booking.token}/",
        next_attempt_at=booking.created_at,
    )
    page = f"/admin/outbox/outgoingmail/{mail.pk}/change/"
    desk = User.objects.create_user("desk", password="x", is_staff=True)
    desk.user_permissions.add(Permission.objects.get(codename="view_outgoingmail"))
    client.force_login(desk)

    hidden = client.get(page)
    desk.user_permissions.add(Permission.objects.get(codename="change_enrollment"))
    desk = User.objects.get(pk=desk.pk)  # permissions are cached on the user
    client.force_login(desk)
    shown = client.get(page)

    assert hidden.status_code == shown.status_code == HTTPStatus.OK
    assert booking.token not in hidden.content.decode()
    assert "[link hidden]" in hidden.content.decode()
    assert booking.token in shown.content.decode()


def test_the_booking_link_in_the_admin_is_for_those_who_may_change_bookings(client):
    booking = EnrollmentFactory.create()
    page = f"/admin/enrollments/enrollment/{booking.pk}/change/"
    viewer = User.objects.create_user("viewer", password="x", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_enrollment"))
    client.force_login(viewer)

    assert booking.token not in client.get(page).content.decode()
