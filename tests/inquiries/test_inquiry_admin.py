"""The practice's pipeline in the admin: statuses, notes, history, filters and the CSV export."""

import csv
import io
from datetime import timedelta
from http import HTTPStatus
from typing import Any

import pytest
from django.contrib.auth.models import Permission, User
from django.utils import timezone

from config.errors import Conflict
from inquiries.models import Inquiry, InquiryNote, InquiryStatusChange
from inquiries.services import inquiry_add_note, inquiry_change_status
from tests.factories import InquiryFactory, OfferingFactory

pytestmark = pytest.mark.django_db

LIST = "/admin/inquiries/inquiry/"


def change_url(inquiry: Inquiry) -> str:
    return f"{LIST}{inquiry.pk}/change/"


def change_form(inquiry: Inquiry, **overrides) -> dict[str, object]:
    """What the change page posts back when nothing but `overrides` was touched."""
    return {
        "status": inquiry.status,
        "assignee": inquiry.assignee_id or "",
        "notes-TOTAL_FORMS": "1",
        "notes-INITIAL_FORMS": "0",
        "notes-0-text": "",
        "status_changes-TOTAL_FORMS": "0",
        "status_changes-INITIAL_FORMS": "0",
    } | overrides


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?kind__exact=team_training",
        "?status__exact=new",
        "?urgent__exact=1",
        "?created_at__year=2025",
        "?q=ada",
        "?q=INQ-",
    ],
)
def test_the_inquiry_list_opens_with_filters_and_search(admin_client, query):
    InquiryFactory.create(
        name="Ada Lovelace", kind=Inquiry.Kind.TEAM_TRAINING, organization="Ward 3", team_size=5
    )

    assert admin_client.get(LIST + query).status_code == HTTPStatus.OK


def test_search_finds_by_name_email_reference_and_organization(admin_client):
    ada = InquiryFactory.create(name="Ada Lovelace", email="ada@example.org")
    InquiryFactory.create(name="Grace Hopper", email="grace@example.org")

    for term in ["Lovelace", "ada@example", ada.reference, ada.reference.lower()]:
        page = admin_client.get(LIST, {"q": term}).content.decode()
        assert "Ada Lovelace" in page
        assert "Grace Hopper" not in page


def test_the_list_shows_urgent_inquiries_first(admin_client):
    now = timezone.now()
    InquiryFactory.create(name="Newest Calm", created_at=now)
    InquiryFactory.create(name="Older Urgent", created_at=now - timedelta(days=3), urgent=True)
    InquiryFactory.create(name="Oldest Calm", created_at=now - timedelta(days=5))

    page = admin_client.get(LIST).content.decode()

    positions = [page.index(name) for name in ["Older Urgent", "Newest Calm", "Oldest Calm"]]
    assert positions == sorted(positions)


def test_the_change_page_shows_the_message_and_history(admin_client):
    inquiry = InquiryFactory.create(message="I would like to talk about my sleep.")

    page = admin_client.get(change_url(inquiry)).content.decode()

    assert "I would like to talk about my sleep." in page
    assert "status history" in page.lower()


def test_a_status_change_in_the_admin_is_recorded_with_who_made_it(admin_client, admin_user):
    inquiry = InquiryFactory.create()

    response = admin_client.post(change_url(inquiry), change_form(inquiry, status="contacted"))

    assert response.status_code == HTTPStatus.FOUND
    inquiry.refresh_from_db()
    assert inquiry.status == Inquiry.Status.CONTACTED
    last = inquiry.status_changes.last()
    assert last is not None
    assert (last.from_status, last.to_status, last.by) == ("new", "contacted", admin_user)


def test_saving_without_a_status_change_records_no_step(admin_client, admin_user):
    inquiry = InquiryFactory.create()

    admin_client.post(change_url(inquiry), change_form(inquiry, assignee=admin_user.pk))

    inquiry.refresh_from_db()
    assert inquiry.assignee == admin_user
    assert inquiry.status_changes.count() == 1  # only the step that created it


def test_a_step_the_pipeline_does_not_allow_is_refused_in_the_form(admin_client):
    inquiry = InquiryFactory.create(status=Inquiry.Status.CLOSED)

    response = admin_client.post(change_url(inquiry), change_form(inquiry, status="contacted"))

    assert response.status_code == HTTPStatus.OK  # the form again, with its error
    assert "status" in response.context["adminform"].form.errors
    inquiry.refresh_from_db()
    assert inquiry.status == Inquiry.Status.CLOSED


def test_the_status_menu_offers_only_allowed_steps(admin_client):
    inquiry = InquiryFactory.create(status=Inquiry.Status.PROPOSAL_SENT)

    form = admin_client.get(change_url(inquiry)).context["adminform"].form

    offered = [value for value, _ in form.fields["status"].choices]
    assert offered == ["proposal_sent", "won", "lost", "closed"]


def test_only_staff_can_be_assigned(admin_client):
    inquiry = InquiryFactory.create()
    User.objects.create_user("visitor", password="x")

    form = admin_client.get(change_url(inquiry)).context["adminform"].form

    assert [user.username for user in form.fields["assignee"].queryset] == ["admin"]


def test_a_note_added_in_the_admin_is_signed_by_its_author(admin_client, admin_user):
    inquiry = InquiryFactory.create()

    admin_client.post(change_url(inquiry), change_form(inquiry, **{"notes-0-text": "Called."}))

    [note] = InquiryNote.objects.filter(inquiry=inquiry)
    assert (note.text, note.author) == ("Called.", admin_user)


def test_existing_notes_are_read_only(admin_client, admin_user):
    inquiry = InquiryFactory.create()
    note = inquiry_add_note(inquiry=inquiry, author=admin_user, text="First call went well.")

    page = admin_client.get(change_url(inquiry)).content.decode()
    # A tampered post that tries to rewrite the note changes nothing either.
    admin_client.post(
        change_url(inquiry),
        change_form(
            inquiry,
            **{
                "notes-TOTAL_FORMS": "2",
                "notes-INITIAL_FORMS": "1",
                "notes-0-id": note.pk,
                "notes-0-inquiry": inquiry.pk,
                "notes-0-text": "Rewritten.",
                "notes-1-text": "",
            },
        ),
    )

    assert "First call went well." in page
    assert 'name="notes-0-text"' not in page  # the existing note has no input
    note.refresh_from_db()
    assert note.text == "First call went well."


def test_inquiries_are_not_added_by_hand(admin_client):
    assert admin_client.get(f"{LIST}add/").status_code == HTTPStatus.FORBIDDEN


def test_pipeline_steps_forward_and_any_to_closed():
    allows = Inquiry.allows_move
    assert allows("new", "contacted")
    assert allows("new", "proposal_sent")  # steps may be skipped
    assert allows("proposal_sent", "won")
    assert allows("proposal_sent", "lost")
    assert allows("won", "closed")
    assert allows("new", "closed")
    assert not allows("contacted", "new")
    assert not allows("won", "lost")
    assert not allows("lost", "won")
    assert not allows("closed", "contacted")
    assert not allows("new", "new")


def test_the_service_refuses_a_step_back_and_records_nothing(admin_user):
    inquiry = InquiryFactory.create(status=Inquiry.Status.WON)

    with pytest.raises(Conflict) as declined:
        inquiry_change_status(inquiry=inquiry, to_status=Inquiry.Status.NEW, by=admin_user)

    assert declined.value.code == "status_not_allowed"
    assert InquiryStatusChange.objects.filter(inquiry=inquiry).count() == 1


def test_the_same_status_again_changes_nothing(admin_user):
    inquiry = InquiryFactory.create()

    inquiry_change_status(inquiry=inquiry, to_status=Inquiry.Status.CONTACTED, by=admin_user)
    inquiry_change_status(inquiry=inquiry, to_status=Inquiry.Status.CONTACTED, by=admin_user)

    assert inquiry.status == Inquiry.Status.CONTACTED
    assert [c.to_status for c in inquiry.status_changes.all()] == ["new", "contacted"]


def test_an_empty_note_is_refused(admin_user):
    from config.errors import InvalidInput

    with pytest.raises(InvalidInput):
        inquiry_add_note(inquiry=InquiryFactory.create(), author=admin_user, text="  ")


def export(client, inquiries) -> tuple[Any, list[list[str]]]:
    response = client.post(
        LIST, {"action": "export_csv", "_selected_action": [i.pk for i in inquiries]}
    )
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    return response, rows


def test_the_csv_export_streams_the_selected_inquiries_with_their_history(admin_client, admin_user):
    offering = OfferingFactory.create(slug="team-empowerment")
    chosen = InquiryFactory.create(
        kind=Inquiry.Kind.TEAM_TRAINING,
        name="Ada Lovelace",
        organization="Het Ziekenhuis",
        team_size=14,
        offering=offering,
        message="Our ward has had a very hard year.",
    )
    inquiry_change_status(inquiry=chosen, to_status=Inquiry.Status.CONTACTED, by=admin_user)
    InquiryFactory.create(name="Not Selected")

    response, rows = export(admin_client, [chosen])

    assert response.status_code == HTTPStatus.OK
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="inquiries-')
    header, row = rows
    record = dict(zip(header, row, strict=True))
    assert record["reference"] == chosen.reference
    assert record["name"] == "Ada Lovelace"
    assert record["organization"] == "Het Ziekenhuis"
    assert record["team size"] == "14"
    assert record["offering"] == "team-empowerment"
    assert record["status"] == "contacted"
    assert ": received; " in record["status history"]
    assert record["status history"].endswith(": new → contacted by admin")
    text = "\n".join(",".join(r) for r in rows)
    assert "hard year" not in text  # the message stays in the admin
    assert "Not Selected" not in text


@pytest.mark.parametrize(
    ("written", "exported"),
    [
        ('=HYPERLINK("https://evil.example")', '\'=HYPERLINK("https://evil.example")'),
        ("+31 6 1234 5678", "'+31 6 1234 5678"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tTabbed", "'\tTabbed"),
        (" =1+1", "' =1+1"),  # spreadsheets skip the space, and the line break
        ("\n=1+1", "'\n=1+1"),
        ("\uff1d1+1", "'\uff1d1+1"),  # a full-width equals sign is read as one
        ("\u200b=1+1", "'\u200b=1+1"),  # so is one behind a zero-width space
        ("Ada = careful", "Ada = careful"),
        ("50% off", "50% off"),
    ],
)
def test_the_csv_export_never_hands_a_spreadsheet_a_formula(admin_client, written, exported):
    inquiry = InquiryFactory.create(name=written)

    _, (header, row) = export(admin_client, [inquiry])

    assert dict(zip(header, row, strict=True))["name"] == exported


def test_the_csv_export_needs_view_permission(client):
    inquiry = InquiryFactory.create(name="Ada Lovelace")
    staff = User.objects.create_user("helper", password="x", is_staff=True)
    client.force_login(staff)

    response = client.post(LIST, {"action": "export_csv", "_selected_action": [inquiry.pk]})

    assert response.status_code == HTTPStatus.FORBIDDEN
    staff.user_permissions.add(Permission.objects.get(codename="view_inquiry"))
    response = client.post(LIST, {"action": "export_csv", "_selected_action": [inquiry.pk]})
    assert response.status_code == HTTPStatus.OK
    assert b"Ada Lovelace" in b"".join(response.streaming_content)


def test_the_csv_export_is_closed_to_people_who_are_not_staff(client):
    inquiry = InquiryFactory.create(name="Ada Lovelace")
    client.force_login(User.objects.create_user("visitor", password="x", is_superuser=True))

    response = client.post(LIST, {"action": "export_csv", "_selected_action": [inquiry.pk]})

    assert response.status_code == HTTPStatus.FOUND  # to the admin's login page
    assert "/admin/login/" in response["Location"]


def test_the_csv_export_reads_in_a_fixed_number_of_queries(
    admin_client, admin_user, django_assert_num_queries
):
    def export_count(count: int) -> None:
        inquiries = InquiryFactory.create_batch(count, offering=OfferingFactory.create())
        for inquiry in inquiries:
            inquiry.assignee = admin_user
            inquiry.save()
            inquiry_change_status(inquiry=inquiry, to_status="contacted", by=admin_user)
        response = admin_client.post(
            LIST, {"action": "export_csv", "_selected_action": [i.pk for i in inquiries]}
        )
        # While it streams: the inquiries (with offering and assignee), then their history.
        with django_assert_num_queries(2):
            rows = list(response.streaming_content)
        assert len(rows) == count + 1

    export_count(2)
    export_count(12)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("/admin/enrollments/inquiry/7/change/", "/admin/inquiries/inquiry/7/change/"),
        (
            "/admin/enrollments/outgoingmail/?status=failed",
            "/admin/outbox/outgoingmail/?status=failed",
        ),
        (
            "/admin/enrollments/surveyinvitation/results/?session=3",
            "/admin/surveys/surveyinvitation/results/?session=3",
        ),
    ],
)
def test_the_admin_pages_of_moved_models_lead_to_their_new_place(client, old, new):
    # Notifications sent before the move link to the old page of an inquiry.
    response = client.get(old)

    assert response.status_code == HTTPStatus.MOVED_PERMANENTLY
    assert response["Location"] == new


def test_the_bookings_own_admin_pages_stay_where_they_are(admin_client):
    assert admin_client.get("/admin/enrollments/enrollment/").status_code == HTTPStatus.OK
