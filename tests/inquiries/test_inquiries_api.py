"""POST /api/v1/inquiries/: validation, the honeypot, throttling, the emails and the safety net."""

import json
import logging
import re
from http import HTTPStatus

import pytest
from django.conf import settings
from django.core import mail as django_mail
from django.core.mail import EmailMultiAlternatives
from rest_framework.throttling import ScopedRateThrottle

from inquiries.models import Inquiry, InquiryStatusChange
from outbox.models import OutgoingMail
from outbox.tasks import dispatch_outbox
from tests.factories import InquiryFactory, OfferingFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/inquiries/"
REFERENCE = re.compile(r"^INQ-[2-9A-HJ-NP-Z]{6}$")
# Distinctive, so a test can tell for sure that it went nowhere it shouldn't.
MESSAGE = "Lately the weight of my caseload keeps me awake; I'd love to talk about balance."
CRISIS_MESSAGE = "Work is heavy and, honestly, some nights I want to die."
SUPPORT_TEXT = "Call 112 now, or the crisis line on 113, day or night."


@pytest.fixture(autouse=True)
def practice_settings(settings):
    settings.PRACTICE_NOTIFY_EMAIL = "team@practice.test"
    settings.CRISIS_SUPPORT_TEXT = SUPPORT_TEXT
    settings.SITE_URL = "https://regard.test"


def valid(**overrides):
    return {
        "kind": "personal_guidance",
        "name": "Ada O'Brien",
        "email": "ada@example.org",
        "message": MESSAGE,
        "consent": True,
    } | overrides


def team(**overrides):
    return valid(kind="team_training", organization="Het Ziekenhuis", team_size=14) | overrides


def post(api, body, **extra):
    return api.post(URL, body, format="json", **extra)


def assert_nothing_stored():
    assert Inquiry.objects.count() == 0
    assert OutgoingMail.objects.count() == 0
    dispatch_outbox()
    assert django_mail.outbox == []


def test_a_valid_inquiry_is_stored_once_with_a_reference_and_status_new(api):
    response = post(api, valid(phone="+31 6 1234 5678", preferred_dates="Tuesday mornings"))

    assert response.status_code == HTTPStatus.CREATED
    body = response.json()
    assert set(body) == {"reference", "status", "language"}  # nothing the person wrote
    assert body["language"] == "en"
    assert REFERENCE.match(body["reference"])
    assert body["status"] == "new"
    [inquiry] = Inquiry.objects.all()
    assert inquiry.reference == body["reference"]
    assert (inquiry.kind, inquiry.status, inquiry.source) == ("personal_guidance", "new", "form")
    assert (inquiry.name, inquiry.email, inquiry.phone) == (
        "Ada O'Brien",
        "ada@example.org",
        "+31 6 1234 5678",
    )
    assert inquiry.message == MESSAGE
    assert inquiry.preferred_dates == "Tuesday mornings"
    assert inquiry.consent_at is not None
    assert inquiry.urgent is False
    [step] = InquiryStatusChange.objects.filter(inquiry=inquiry)
    assert (step.from_status, step.to_status, step.by) == ("", "new", None)


def test_a_team_training_inquiry_names_its_team_and_offering(api):
    offering = OfferingFactory.create(slug="team-empowerment", title="Team empowerment")

    response = post(api, team(offering="team-empowerment"))

    assert response.status_code == HTTPStatus.CREATED
    inquiry = Inquiry.objects.get()
    assert (inquiry.kind, inquiry.organization, inquiry.team_size, inquiry.offering) == (
        "team_training",
        "Het Ziekenhuis",
        14,
        offering,
    )


def test_a_valid_inquiry_queues_two_emails_dispatched_on_commit(
    api, django_capture_on_commit_callbacks, monkeypatch
):
    kicked: list[list[int]] = []
    monkeypatch.setattr(
        dispatch_outbox, "apply_async", lambda kwargs, **options: kicked.append(kwargs["mail_ids"])
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = post(api, valid())

    assert response.status_code == HTTPStatus.CREATED
    inquiry = Inquiry.objects.get()
    rows = OutgoingMail.objects.order_by("id")
    assert [(row.kind, row.to) for row in rows] == [
        ("inquiry_acknowledgement", "ada@example.org"),
        ("inquiry_notification", "team@practice.test"),
    ]
    assert all(row.related == inquiry for row in rows)
    assert kicked == [[row.id for row in rows]]  # both in one task, after the commit


def test_after_dispatch_both_emails_go_out_without_the_message(api):
    post(api, valid(kind="team_training", organization="Het Ziekenhuis", team_size=14))
    inquiry = Inquiry.objects.get()

    dispatch_outbox()

    assert sorted(m.to[0] for m in django_mail.outbox) == ["ada@example.org", "team@practice.test"]
    [acknowledgement] = [m for m in django_mail.outbox if m.to == ["ada@example.org"]]
    [notification] = [m for m in django_mail.outbox if m.to == ["team@practice.test"]]
    for message in django_mail.outbox:
        assert isinstance(message, EmailMultiAlternatives)
        html = str(message.alternatives[0][0])
        for part in (message.subject, message.body, html):
            assert "caseload" not in part
            assert "Lately the weight" not in part

    assert inquiry.reference in acknowledgement.subject
    assert acknowledgement.body.startswith("Dear Ada O'Brien,")  # not HTML-escaped
    assert "within two working days" in acknowledgement.body
    assert "Het Ziekenhuis" in acknowledgement.body
    assert SUPPORT_TEXT not in acknowledgement.body
    assert "emergency" not in acknowledgement.body

    assert notification.subject == f"New inquiry {inquiry.reference} (team training)"
    admin_link = f"https://regard.test/admin/inquiries/inquiry/{inquiry.pk}/change/"
    assert admin_link in notification.body
    assert "ada@example.org" not in notification.body


def test_crisis_language_flags_the_inquiry_and_brings_support_everywhere(api):
    response = post(api, valid(message=CRISIS_MESSAGE))

    assert response.status_code == HTTPStatus.CREATED
    body = response.json()
    assert body["status"] == "new"
    assert body["support"]["resources"] == SUPPORT_TEXT
    assert "not an emergency service" in body["support"]["message"]
    inquiry = Inquiry.objects.get()
    assert inquiry.urgent is True
    assert inquiry.message == CRISIS_MESSAGE  # taken, not refused

    dispatch_outbox()
    [acknowledgement] = [m for m in django_mail.outbox if m.to == ["ada@example.org"]]
    [notification] = [m for m in django_mail.outbox if m.to == ["team@practice.test"]]
    assert SUPPORT_TEXT in acknowledgement.body
    assert "not an emergency service" in acknowledgement.body
    assert "within two working days" in acknowledgement.body
    assert notification.subject.startswith("URGENT")
    assert notification.body.startswith("URGENT")
    for message in (acknowledgement, notification):
        assert "want to die" not in message.body
        assert "want to die" not in message.subject


def test_without_crisis_language_there_is_no_support_block_and_no_urgency(api):
    response = post(api, valid(message="Could we talk about the suicide prevention training?"))

    assert "support" not in response.json()
    assert Inquiry.objects.get().urgent is False
    dispatch_outbox()
    assert not any(m.subject.startswith("URGENT") for m in django_mail.outbox)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (valid(kind=None), "kind"),
        (valid(kind="therapy"), "kind"),
        (valid(kind=5), "kind"),
        (valid(kind=["general"]), "kind"),
        ({k: v for k, v in valid().items() if k != "kind"}, "kind"),
        ({k: v for k, v in valid().items() if k != "name"}, "name"),
        (valid(name=""), "name"),
        (valid(name="   "), "name"),
        (valid(name="x" * 201), "name"),
        (valid(name="Cheap pills at https://spam.example"), "name"),
        (valid(name={"first": "Ada"}), "name"),
        ({k: v for k, v in valid().items() if k != "email"}, "email"),
        (valid(email="ada"), "email"),
        (valid(email="ada@"), "email"),
        (valid(email="ada at example.org"), "email"),
        (valid(email="a" * 250 + "@example.org"), "email"),
        (valid(phone="call me maybe"), "phone"),
        (valid(phone="12"), "phone"),
        (valid(phone="+31 " + "6" * 40), "phone"),
        (team(organization=""), "organization"),
        ({k: v for k, v in team().items() if k != "organization"}, "organization"),
        (team(organization="x" * 201), "organization"),
        ({k: v for k, v in team().items() if k != "team_size"}, "team_size"),
        (team(team_size=None), "team_size"),
        (team(team_size=1), "team_size"),
        (team(team_size=1001), "team_size"),
        (team(team_size="many"), "team_size"),
        (team(team_size=2.5), "team_size"),
        (team(team_size=10**30), "team_size"),
        (valid(offering="no-such-offering"), "offering"),
        (valid(offering="unpublished"), "offering"),
        (valid(offering=123), "offering"),
        (valid(offering={"slug": "x"}), "offering"),
        (valid(preferred_dates="x" * 501), "preferred_dates"),
        ({k: v for k, v in valid().items() if k != "message"}, "message"),
        (valid(message=""), "message"),
        (valid(message=" \n "), "message"),
        (valid(message="x" * 5001), "message"),
        (valid(message=["a", "list"]), "message"),
        (valid(message="a NUL \x00 byte"), "message"),
        ({k: v for k, v in valid().items() if k != "consent"}, "consent"),
        (valid(consent=False), "consent"),
        (valid(consent=None), "consent"),
        (valid(consent="yes please"), "consent"),
        (valid(website={"url": "x"}), "website"),
    ],
)
def test_each_invalid_field_is_named_and_nothing_is_stored_or_sent(api, body, field):
    OfferingFactory.create(slug="unpublished", is_published=False)

    response = post(api, body)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    error = response.json()
    assert error["code"] == "invalid"
    assert error["message"]
    assert set(error["fields"]) == {field}
    assert all(isinstance(text, str) and text for text in error["fields"][field])
    assert_nothing_stored()


def test_a_team_training_without_organization_or_size_names_both(api):
    response = post(api, valid(kind="team_training"))

    assert set(response.json()["fields"]) == {"organization", "team_size"}
    assert_nothing_stored()


def test_field_errors_are_written_for_people(api):
    # The sentences the practice wrote itself, not the framework's defaults.
    response = post(api, valid(email="ada", consent=False, team_size=1))

    fields = response.json()["fields"]
    assert fields["email"] == ["This doesn't look like an email address yet. Could you check it?"]
    assert fields["consent"][0].startswith("We can only keep your message with your consent.")
    assert fields["team_size"] == ["A team training is for at least 2 people."]


@pytest.mark.parametrize(
    ("raw", "content_type", "status", "code"),
    [
        (b'{"kind": "general", ', "application/json", 400, "malformed_request"),
        (b"not json at all", "application/json", 400, "malformed_request"),
        (b'{"message": NaN}', "application/json", 400, "malformed_request"),
        (b"[1, 2, 3]", "application/json", 400, "invalid"),
        (b'"Hello"', "application/json", 400, "invalid"),
        (b"42", "application/json", 400, "invalid"),
        (b"null", "application/json", 400, "invalid"),
        (b"", "application/json", 400, "invalid"),
        (b"", None, 400, "invalid"),
        (b"kind=general&name=Ada", "application/x-www-form-urlencoded", 415, None),
        (b"\xff\xfe\x00garbage", "application/json", 400, "malformed_request"),
    ],
)
def test_bad_bodies_get_the_error_shape_and_store_nothing(api, raw, content_type, status, code):
    extra = {"content_type": content_type} if content_type else {}

    response = api.generic("POST", URL, raw, **extra)

    assert response.status_code == status
    body = response.json()
    assert set(body) <= {"code", "message", "fields"}
    assert body["message"]
    if code:
        assert body["code"] == code
    assert_nothing_stored()


def test_a_non_object_body_is_answered_kindly(api):
    response = api.generic("POST", URL, b"[]", content_type="application/json")

    assert response.json()["fields"] == {
        "non_field_errors": [
            "Please send your inquiry as a JSON object of fields, such as name and message."
        ]
    }


def test_other_methods_are_not_allowed(api):
    response = api.get(URL)

    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert response.json()["code"] == "method_not_allowed"


@pytest.mark.parametrize("message", [MESSAGE, CRISIS_MESSAGE])
def test_the_honeypot_answers_like_a_success_and_keeps_nothing(
    api, django_capture_on_commit_callbacks, message
):
    real = post(api, valid(message=message, email="real@example.org")).json()
    Inquiry.objects.all().delete()
    OutgoingMail.objects.all().delete()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = post(api, valid(message=message, website="https://buy-now.example"))

    assert response.status_code == HTTPStatus.CREATED
    body = response.json()
    assert set(body) == set(real)  # support block included exactly when a real one has it
    assert REFERENCE.match(body["reference"])
    assert body["status"] == "new"
    assert callbacks == []
    assert_nothing_stored()


def test_a_blank_honeypot_is_no_honeypot(api):
    response = post(api, valid(website="  "))

    assert response.status_code == HTTPStatus.CREATED
    assert Inquiry.objects.count() == 1


def test_too_many_inquiries_from_one_address_are_throttled(api, monkeypatch):
    # The rate is read into the throttle class when DRF loads; set it where it lives.
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "inquiries", "2/hour")

    statuses = [post(api, valid(), REMOTE_ADDR="203.0.113.7").status_code for _ in range(3)]

    assert statuses == [HTTPStatus.CREATED, HTTPStatus.CREATED, HTTPStatus.TOO_MANY_REQUESTS]
    response = post(api, valid(), REMOTE_ADDR="203.0.113.7")
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert 1 <= int(response["Retry-After"]) <= 3600
    body = response.json()
    assert body["code"] == "throttled"
    assert body["message"].startswith("We've received several requests")
    assert "fields" not in body
    assert Inquiry.objects.count() == 2
    # Someone else, from another address, is still heard.
    assert post(api, valid(), REMOTE_ADDR="198.51.100.2").status_code == HTTPStatus.CREATED


def test_a_reference_that_is_taken_is_drawn_again(api, monkeypatch):
    InquiryFactory.create(reference="INQ-TAKEN2")
    drawn = iter(["INQ-TAKEN2", "INQ-FRESH3"])
    monkeypatch.setattr("inquiries.services.new_inquiry_reference", lambda: next(drawn))

    response = post(api, valid())

    assert response.status_code == HTTPStatus.CREATED
    assert response.json()["reference"] == "INQ-FRESH3"
    assert Inquiry.objects.filter(email="ada@example.org").get().reference == "INQ-FRESH3"


def test_the_reference_alphabet_has_no_lookalikes():
    from inquiries.models import new_inquiry_reference

    references = {new_inquiry_reference() for _ in range(200)}
    assert len(references) == 200
    assert all(ref.startswith("INQ-") and len(ref) == 10 for ref in references)
    assert not set("01IO") & set("".join(ref[4:] for ref in references))


def test_logs_carry_the_reference_and_nothing_the_person_wrote(api, caplog):
    caplog.set_level(logging.DEBUG)
    phone = "+31 6 9876 5432"

    response = post(api, valid(message=CRISIS_MESSAGE, phone=phone))
    post(api, valid(email="bad"))  # a 400 is logged too
    dispatch_outbox()

    logged = "\n".join(
        [record.getMessage() for record in caplog.records]
        + [str(record.args) for record in caplog.records]
    )
    assert response.json()["reference"] in logged
    for secret in ("want to die", "Ada O'Brien", "ada@example.org", phone, "Work is heavy"):
        assert secret not in logged


@pytest.fixture
def broken_templates(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the templates are broken")

    # A fault at the edge, deep inside the submission, with every frame above it live.
    monkeypatch.setattr("outbox.services.render_to_string", broken)


def reported_variables(error: BaseException, starting_in: str) -> str:
    """The local variables Django's error report shows for each frame, as it shows them.

    It starts where a real traceback would: frames above `starting_in` belong to the test
    and its client, which hold the request body they were asked to send.
    """
    from django.views.debug import ExceptionReporter

    traceback = error.__traceback__
    while traceback and starting_in not in traceback.tb_frame.f_code.co_filename:
        traceback = traceback.tb_next
    assert traceback is not None
    frames = ExceptionReporter(None, type(error), error, traceback).get_traceback_frames()
    assert frames[-1]["function"] == "broken"
    return "\n".join(f"{frame['function']}: {frame['vars']}" for frame in frames)


def test_an_error_report_of_a_failed_submission_hides_what_was_written(api, broken_templates):
    api.raise_request_exception = True

    with pytest.raises(RuntimeError) as failure:
        post(api, valid())

    report = reported_variables(failure.value, starting_in="django/core/handlers/")
    assert "inquiry_submit: " in report  # the report did walk through the submission
    for secret in ("caseload", "Ada O", "ada@example.org"):
        assert secret not in report
    assert Inquiry.objects.count() == 0  # and the transaction rolled back


def submit_directly() -> None:  # as the admin or a survey would
    from inquiries.services import inquiry_submit

    inquiry_submit(kind="general", name="Ada O'Brien", email="ada@example.org", message=MESSAGE)


def queue_directly() -> None:  # as any other flow that owes an email would
    from outbox.services import mail_queue

    mail_queue(kind="note", to="ada@example.org", context={"words": MESSAGE})


@pytest.mark.parametrize(
    ("call", "starting_in"), [(submit_directly, "inquiries/"), (queue_directly, "outbox/")]
)
def test_error_reports_from_other_callers_hide_personal_data(broken_templates, call, starting_in):
    with pytest.raises(RuntimeError) as failure:
        call()

    report = reported_variables(failure.value, starting_in=starting_in)
    for secret in ("caseload", "Ada O", "ada@example.org"):
        assert secret not in report


def test_the_schema_documents_the_inquiry_endpoint(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    operation = json.loads(response.content)["paths"]["/api/v1/inquiries/"]["post"]
    assert {"201", "400", "429", "default"} <= set(operation["responses"])


def test_a_nul_character_anywhere_in_the_body_is_400_not_500(api):
    # Found by the schema fuzzer: the offering slug went to PostgreSQL with a NUL in it.
    response = api.post("/api/v1/inquiries/", {**valid(), "offering": "a\x00b"}, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["fields"] == {"offering": [response.json()["fields"]["offering"][0]]}
    assert "NUL" in response.json()["fields"]["offering"][0]
    assert Inquiry.objects.count() == 0


def test_an_address_written_to_enough_today_is_refused_before_anything_is_stored(api, settings):
    settings.MAX_EMAILS_PER_RECIPIENT_PER_DAY = 2
    for _ in range(2):
        assert post(api, valid(email="Ada@Example.org")).status_code == HTTPStatus.CREATED
    written = OutgoingMail.objects.count()

    response = post(api, valid(email="ada@example.org"))

    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert response.json()["code"] == "too_many_emails"
    assert "reply to one of our emails" in response.json()["message"]
    assert int(response["Retry-After"]) > 0
    assert (Inquiry.objects.count(), OutgoingMail.objects.count()) == (2, written)
    assert post(api, valid(email="grace@example.org")).status_code == HTTPStatus.CREATED


def throttled(api, monkeypatch, body):
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "inquiries", "1/hour")
    post(api, valid(email="first@example.org"))
    return post(api, body)


def capped(api, monkeypatch, body):
    monkeypatch.setattr(settings, "MAX_EMAILS_PER_RECIPIENT_PER_DAY", 1)
    post(api, valid())
    return post(api, body)


def invalid(api, monkeypatch, body):
    return post(api, {**body, "email": "not an address"})


@pytest.mark.parametrize("refusal", [throttled, capped, invalid])
def test_a_message_in_crisis_meets_support_with_any_refusal(api, monkeypatch, refusal):
    response = refusal(api, monkeypatch, valid(message=CRISIS_MESSAGE))

    assert response.status_code in (HTTPStatus.TOO_MANY_REQUESTS, HTTPStatus.BAD_REQUEST)
    assert response.json()["support"]["resources"] == SUPPORT_TEXT
    assert "not an emergency service" in response.json()["support"]["message"]
    assert not Inquiry.objects.filter(message=CRISIS_MESSAGE).exists()
    # Without crisis language, a refusal is only a refusal.
    calm = post(api, valid(message=MESSAGE, email="not an address"))
    assert "support" not in calm.json()


def test_a_refusal_whose_message_is_not_text_has_no_support_and_no_error(api):
    for body in [valid(message=["I want to die"]), "message=I want to die"]:
        response = api.post(URL, body, format="json")
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert "support" not in response.json()
