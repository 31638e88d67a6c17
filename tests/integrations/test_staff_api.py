"""The staff API: tokens kept hashed, scoped and revocable; each account reads what its
role may, and no more."""

import hashlib
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test import Client
from django.utils import timezone

from config.roles import BOOKKEEPER, COORDINATOR, FACILITATOR, sync_roles
from config.throttling import ScopedRateThrottle
from enrollments.models import Enrollment
from integrations.models import StaffToken
from integrations.staff_tokens import staff_token_create, staff_tokens_revoke
from tests.factories import (
    EnrollmentFactory,
    FacilitatorFactory,
    InquiryFactory,
    ParticipantFactory,
    SessionFactory,
)

pytestmark = pytest.mark.django_db

ALL = [scope.value for scope in StaffToken.Scope]
MESSAGE = "Since the panic attacks started I have been afraid to see clients."


def account(role: str) -> User:
    sync_roles()
    user = User.objects.create_user(role.lower(), is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user


def token_for(role: str, scopes=ALL) -> str:
    return staff_token_create(user=account(role), name="the CRM", scopes=scopes)[1]


def get(path: str, token: str | None, **params):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return Client().get(path, params, headers=headers)


@pytest.fixture
def world():
    public = SessionFactory.create(starts_at=timezone.now() + timedelta(days=3))
    private = SessionFactory.create(
        starts_at=timezone.now() + timedelta(days=4), is_public=False, organization="Kliniek"
    )
    booking = EnrollmentFactory.create(session=public, seats=2, name="Bea Booker")
    ParticipantFactory.create(enrollment=booking, name="Cas Participant")
    EnrollmentFactory.create(session=private, status=Enrollment.Status.CANCELLED)
    InquiryFactory.create(message=MESSAGE)
    return {"public": public, "private": private, "booking": booking}


def test_a_token_is_kept_only_as_its_hash(world):
    token, plaintext = staff_token_create(
        user=account(COORDINATOR), name="the CRM", scopes=["sessions"]
    )

    token.refresh_from_db()
    assert token.digest == hashlib.sha256(plaintext.encode()).hexdigest()
    assert plaintext.startswith(token.prefix)
    assert len(token.prefix) < 10
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM integrations_stafftoken")
        assert not any(plaintext in str(value) for row in cursor.fetchall() for value in row)


@pytest.mark.parametrize("header", ["", "Bearer rgd_not-a-token", "Bearer ", "Basic abc"])
def test_no_or_a_wrong_token_is_a_401_in_the_error_shape(world, header):
    response = Client().get("/api/v1/staff/sessions/", HTTP_AUTHORIZATION=header)

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert set(response.json()) == {"code", "message"}
    assert response.json()["code"] in {"not_authenticated", "authentication_failed"}


def test_a_revoked_token_is_a_401(world):
    plaintext = token_for(COORDINATOR)
    staff_tokens_revoke(StaffToken.objects.all())

    assert get("/api/v1/staff/sessions/", plaintext).status_code == HTTPStatus.UNAUTHORIZED


def test_a_token_of_an_account_made_inactive_is_a_401(world):
    plaintext = token_for(COORDINATOR)
    User.objects.update(is_active=False)

    assert get("/api/v1/staff/sessions/", plaintext).status_code == HTTPStatus.UNAUTHORIZED


def test_a_scope_the_token_lacks_is_a_403(world):
    plaintext = token_for(COORDINATOR, scopes=["sessions"])

    response = get("/api/v1/staff/inquiries/", plaintext)

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json()["code"] == "forbidden"


def test_sessions_private_ones_too_with_their_seats_paginated_and_filtered(world):
    plaintext = token_for(COORDINATOR)

    page = get("/api/v1/staff/sessions/", plaintext).json()
    private = get("/api/v1/staff/sessions/", plaintext, is_public="false").json()

    assert page["count"] == 2
    rows = {row["id"]: row for row in page["results"]}
    assert rows[world["public"].pk]["seats_taken"] == 2
    assert rows[world["private"].pk]["organization"] == "Kliniek"
    assert [row["id"] for row in private["results"]] == [world["private"].pk]
    StaffToken.objects.get().refresh_from_db()
    assert StaffToken.objects.get().last_used_at is not None


def test_the_roster_and_bookings_by_session_and_status(world):
    plaintext = token_for(COORDINATOR)

    roster = get(f"/api/v1/staff/sessions/{world['public'].pk}/roster/", plaintext).json()
    cancelled = get("/api/v1/staff/enrollments/", plaintext, status="cancelled").json()
    of_public = get("/api/v1/staff/enrollments/", plaintext, session=world["public"].pk).json()

    assert [p["name"] for p in roster["participants"]] == ["Cas Participant"]
    assert roster["participants"][0]["booking"] == world["booking"].reference
    assert [e["session"] for e in cancelled["results"]] == [world["private"].pk]
    assert [e["reference"] for e in of_public["results"]] == [world["booking"].reference]
    assert of_public["results"][0]["amount"] == "360.00"


def test_a_coordinators_token_reads_inquiry_messages_and_a_bookkeepers_does_not(world):
    coordinator = get("/api/v1/staff/inquiries/", token_for(COORDINATOR))
    bookkeeper = get("/api/v1/staff/inquiries/", token_for(BOOKKEEPER))

    assert coordinator.json()["results"][0]["message"] == MESSAGE
    assert bookkeeper.status_code == HTTPStatus.FORBIDDEN  # no inquiries at all
    assert MESSAGE not in bookkeeper.content.decode()


def test_an_account_that_reads_inquiries_but_not_messages_gets_no_message(world):
    from django.contrib.auth.models import Permission

    user = User.objects.create_user("reader", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_inquiry"))
    plaintext = staff_token_create(user=user, name="newsletter", scopes=["inquiries"])[1]

    rows = get("/api/v1/staff/inquiries/", plaintext).json()["results"]

    assert rows[0]["message"] is None
    assert rows[0]["reference"]


def test_a_facilitators_token_sees_the_sessions_they_lead(world):
    user = account(FACILITATOR)
    FacilitatorFactory.create(user=user).offerings.add(world["private"].offering)
    plaintext = staff_token_create(user=user, name="calendar", scopes=["sessions", "rosters"])[1]

    page = get("/api/v1/staff/sessions/", plaintext).json()
    other = get(f"/api/v1/staff/sessions/{world['public'].pk}/roster/", plaintext)

    assert [row["id"] for row in page["results"]] == [world["private"].pk]
    assert other.status_code == HTTPStatus.NOT_FOUND


def test_each_token_has_its_own_throttle(world, monkeypatch):
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "staff-api", "2/minute")
    first, second = (
        token_for(COORDINATOR),
        staff_token_create(user=User.objects.get(), name="other", scopes=ALL)[1],
    )

    answers = [get("/api/v1/staff/sessions/", first).status_code for _ in range(3)]

    assert answers == [200, 200, 429]
    assert get("/api/v1/staff/sessions/", second).status_code == HTTPStatus.OK


def test_the_admin_shows_a_new_token_once(admin_client, world):
    staff = account(COORDINATOR)
    response = admin_client.post(
        "/admin/integrations/stafftoken/add/",
        {"name": "the CRM", "user": staff.pk, "scopes": ["sessions", "inquiries"]},
        follow=True,
    )

    page = response.content.decode()
    plaintext = page.split('<code id="new-token">')[1].split("</code>")[0]
    assert get("/api/v1/staff/sessions/", plaintext).status_code == HTTPStatus.OK
    again = admin_client.get(
        f"/admin/integrations/stafftoken/{StaffToken.objects.get().pk}/change/"
    )
    assert plaintext not in again.content.decode()
