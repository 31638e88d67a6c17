"""Certificates: issued after the whole session and its evaluation, read back from the PDF,
verified by their code, revoked and reissued, kept as records."""

import base64
import io
from datetime import timedelta
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.utils import timezone
from pypdf import PdfReader

from certificates.models import Certificate
from certificates.pdf import certificate_pdf
from certificates.services import (
    certificate_reissue,
    certificate_revoke,
    certificates_issue_due,
    normalized_code,
)
from config import privacy
from config.errors import Conflict, InvalidInput
from outbox.models import OutgoingMail
from tests.factories import (
    EnrollmentFactory,
    FacilitatorFactory,
    OfferingFactory,
    ParticipantFactory,
    SessionFactory,
    SurveyInvitationFactory,
)

pytestmark = pytest.mark.django_db


def ended_session(**offering):
    starts = timezone.now() - timedelta(days=2)
    return SessionFactory.create(
        starts_at=starts,
        ends_at=starts + timedelta(hours=3),
        offering=OfferingFactory.create(
            ce_hours=Decimal("3.0"),
            ce_accreditor="Accreditatiebureau Zorg",
            ce_statement="Approved for 3 hours under number AB-1234.",
            **offering,
        ),
    )


def attendee(session, *, attendance="present", evaluated=True, **changes):
    participant = ParticipantFactory.create(
        enrollment=EnrollmentFactory.create(session=session),
        attendance=attendance,
        minutes_attended=60 if attendance == "partial" else None,
        **changes,
    )
    if evaluated:
        SurveyInvitationFactory.create(participant=participant, submitted_at=timezone.now())
    return participant


def pdf_text(content: bytes) -> str:
    return " ".join(
        " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages).split()
    )


def test_a_certificate_goes_only_to_those_present_throughout_who_answered_the_evaluation():
    session = ended_session()
    came = attendee(session)
    attendee(session, evaluated=False)
    attendee(session, attendance="partial")
    attendee(session, attendance="absent")
    attendee(session, attendance="")
    upcoming = SessionFactory.create(offering=session.offering)
    attendee(upcoming)

    issued, unfinished = certificates_issue_due()
    again, _ = certificates_issue_due()

    assert (issued, unfinished, again) == (1, False, 0)
    assert list(Certificate.objects.values_list("participant_id", flat=True)) == [came.pk]


def test_an_offering_that_asks_no_evaluation_certifies_presence_alone():
    session = ended_session(ce_requires_evaluation=False)
    came = attendee(session, evaluated=False)

    certificates_issue_due()

    assert Certificate.objects.get().participant_id == came.pk


def test_without_ce_hours_the_certificate_is_of_attendance():
    starts = timezone.now() - timedelta(days=1)
    session = SessionFactory.create(starts_at=starts, ends_at=starts + timedelta(hours=2))
    attendee(session)

    certificates_issue_due()

    certificate = Certificate.objects.get()
    assert (certificate.kind, certificate.hours, certificate.accreditor) == ("attendance", None, "")
    assert "Certificate of attendance" in pdf_text(certificate_pdf(certificate))


def test_the_certificate_is_emailed_to_the_participant_alone_with_its_pdf():
    session = ended_session()
    came = attendee(session, email="lukasz@example.org")

    certificates_issue_due()

    [mail] = OutgoingMail.objects.filter(kind="certificate_issued")
    certificate = Certificate.objects.get()
    assert mail.to == "lukasz@example.org" != came.enrollment.email
    assert certificate.shown_code in mail.body_text
    [attachment] = mail.attachments
    assert attachment["content_type"] == "application/pdf"
    assert base64.b64decode(attachment["content"]).startswith(b"%PDF")


def test_the_pdf_holds_every_field_of_the_snapshot_in_any_script():
    session = ended_session(title="Holding Space")
    session.offering.facilitators.add(FacilitatorFactory.create(name="Marta Żelazna"))
    attendee(session, name="Łukasz Köhler")
    certificates_issue_due()
    certificate = certificate_reissue(
        certificate_id=Certificate.objects.get().pk,
        name="Łukasz Köhler",
        registration_number="BIG 123456789",
    )

    text = pdf_text(certificate_pdf(certificate))

    for printed in (
        "Certificate of continuing education",
        "Łukasz Köhler",
        "BIG 123456789",
        "Holding Space",
        certificate.dates,
        "Marta Żelazna",
        "3 continuing-education hours",
        "Accreditatiebureau Zorg",
        "Approved for 3 hours under number AB-1234.",
        certificate.shown_code,
        f"/certificates/{certificate.shown_code}/",
    ):
        assert printed in text, printed


def test_a_valid_certificate_verifies_on_its_page_and_in_the_api(client):
    attendee(ended_session(), name="Łukasz Köhler")
    certificates_issue_due()
    certificate = Certificate.objects.get()
    typed = certificate.code.lower()  # as someone might type it, without the dashes

    page = client.get(f"/certificates/{certificate.shown_code}/").content.decode()
    answer = client.get(f"/api/v1/certificates/{typed}/").json()

    assert "This certificate is valid" in page
    assert "Łukasz Köhler" in page
    assert answer["status"] == "valid"
    assert answer["code"] == certificate.shown_code
    assert (answer["participant"], answer["hours"]) == ("Łukasz Köhler", "3.0")
    assert answer["accreditor"] == "Accreditatiebureau Zorg"


def test_a_revoked_certificate_says_so_and_names_its_replacement(client):
    attendee(ended_session())
    certificates_issue_due()
    old = Certificate.objects.get()
    new = certificate_reissue(certificate_id=old.pk, name="Ada  Vos ")

    page = " ".join(client.get(f"/certificates/{old.shown_code}/").content.decode().split())
    answer = client.get(f"/api/v1/certificates/{old.shown_code}/").json()

    assert "was revoked on" in page
    assert new.shown_code in page
    assert (answer["status"], answer["replaced_by"]) == ("revoked", new.shown_code)
    assert new.participant_name == "Ada Vos"
    assert OutgoingMail.objects.filter(kind="certificate_issued").count() == 2


@pytest.mark.parametrize("code", ["0000-0000-0000-0000", "not-a-code", "ABCD", "x" * 300])
def test_an_unknown_or_malformed_code_is_a_kind_404(client, code):
    page = client.get(f"/certificates/{code}/")
    answer = client.get(f"/api/v1/certificates/{code}/")

    assert page.status_code == answer.status_code == HTTPStatus.NOT_FOUND
    assert answer.json()["code"] == "not_found"


def test_codes_are_read_as_typed_aloud():
    assert normalized_code(" abcd-efgh-jkmn-pq0o ") == "ABCDEFGHJKMNPQ00"
    assert normalized_code("ilIL-0000-0000-0000") == "1111000000000000"
    assert normalized_code("ABCD-EFGH-JKMN-PQRU") is None  # no U in the alphabet


def test_revoking_asks_a_reason_and_happens_once():
    attendee(ended_session())
    certificates_issue_due()
    certificate = Certificate.objects.get()

    with pytest.raises(InvalidInput):
        certificate_revoke(certificate_id=certificate.pk, reason="  ")
    certificate_revoke(certificate_id=certificate.pk, reason="Issued in error")
    with pytest.raises(Conflict):
        certificate_revoke(certificate_id=certificate.pk, reason="again")

    certificate.refresh_from_db()
    assert (certificate.status, certificate.revoked_reason) == ("revoked", "Issued in error")


def test_the_admin_revokes_and_reissues(admin_client):
    attendee(ended_session())
    certificates_issue_due()
    certificate = Certificate.objects.get()
    url = "/admin/certificates/certificate/"

    admin_client.post(
        url,
        {
            "action": "reissue",
            "_selected_action": [certificate.pk],
            "apply": "1",
            "name": "Ada Vos",
        },
    )
    new = Certificate.objects.get(status="valid")
    admin_client.post(
        url,
        {"action": "revoke", "_selected_action": [new.pk], "apply": "1", "reason": "Withdrawn"},
    )
    pdf = admin_client.get(f"{url}{certificate.pk}/pdf/")

    assert set(Certificate.objects.values_list("status", flat=True)) == {"revoked"}
    assert pdf["Content-Type"] == "application/pdf"


def test_erasure_keeps_certificates_and_says_why_and_the_export_holds_them():
    came = attendee(ended_session(), email="ada@example.org")
    certificates_issue_due()

    exported = privacy.export_person(email="ada@example.org")
    erasure = privacy.erase_person(email="ada@example.org")

    assert exported["certificates"][0]["name"] == came.name
    assert "certificates" in erasure.kept
    assert Certificate.objects.get().email == "ada@example.org"


def test_certificates_are_deleted_once_their_retention_ends(settings):
    attendee(ended_session())
    certificates_issue_due()
    later = timezone.now() + timedelta(days=365 * settings.CERTIFICATE_RETENTION_YEARS + 1)

    purged = privacy.purge_all(now=later)

    assert purged["certificates"] == 1
    assert not Certificate.objects.exists()
