"""Issuing certificates to those who attended, and revoking or reissuing them."""

import base64
import logging
import secrets
import time
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone, translation

from certificates.events import CertificateIssued
from certificates.models import Certificate
from config import events
from config.celery import enqueue_on_commit
from config.errors import Conflict, InvalidInput, NotFound
from enrollments.models import Enrollment, Participant
from enrollments.services.roster import participant_set_registration_number
from outbox.services import Attachment, mail_queue
from workshops.calendar import describe_when
from workshops.models import Session, known_zone

logger = logging.getLogger(__name__)

# Crockford's base32: no I, L, O or U, so that a code read aloud or typed is not mistaken.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 16  # 80 bits
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalized_code(typed: str) -> str | None:
    """The code as stored, from however it was typed (any case, dashes or spaces, an O for
    a zero); None when it cannot be one."""
    code = "".join(typed.split()).replace("-", "").upper().translate(_READ_AS)
    if len(code) != CODE_LENGTH or any(c not in ALPHABET for c in code):
        return None
    return code


def certificate_by_code(typed: str) -> Certificate:
    """The certificate a verification code names, valid or revoked; NotFound otherwise."""
    code = normalized_code(typed)
    found = Certificate.objects.filter(code=code).first() if code else None
    if found is None:
        raise NotFound()
    return found


def verification_url(certificate: Certificate) -> str:
    return f"{settings.SITE_URL}/certificates/{certificate.shown_code}/"


def due_participants(*, now: datetime) -> QuerySet[Participant]:
    """Participants present for the whole of a session that has ended, with no certificate
    yet, who answered its evaluation where the offering asks for it."""
    return (
        Participant.objects.filter(
            attendance=Participant.Attendance.PRESENT,
            enrollment__status=Enrollment.Status.CONFIRMED,
            enrollment__session__ends_at__lte=now,
            certificates__isnull=True,
        )
        .exclude(email="")  # erased
        .exclude(enrollment__session__status=Session.Status.CANCELLED)
        .filter(
            Q(enrollment__session__offering__ce_requires_evaluation=False)
            | Q(survey_invitation__submitted_at__isnull=False)
        )
        .order_by("id")
    )


def _snapshot(participant: Participant, *, now: datetime, **changes: str) -> Certificate:
    enrollment = participant.enrollment
    session = enrollment.session
    offering = session.offering
    with translation.override(enrollment.language):
        dates = describe_when(session)
        title = offering.in_language("title")
    certified = offering.ce_hours is not None and offering.ce_hours > 0
    return Certificate(
        code=new_code(),
        participant=participant,
        kind=Certificate.Kind.CONTINUING_EDUCATION if certified else Certificate.Kind.ATTENDANCE,
        participant_name=changes.get("name") or participant.name,
        email=participant.email,
        registration_number=changes.get("registration_number", participant.registration_number),
        offering_title=title,
        dates=str(dates),
        starts_on=timezone.localtime(session.starts_at, known_zone(session.timezone)).date(),
        hours=offering.ce_hours if certified else None,
        facilitators=", ".join(f.name for f in offering.facilitators.order_by("name")),
        accreditor=offering.ce_accreditor if certified else "",
        statement=offering.ce_statement if certified else "",
        language=enrollment.language,
        issued_at=now,
    )


def _send(certificate: Certificate, *, kick: bool = True) -> None:
    """To the participant alone, with the PDF (never to whoever booked for them). With
    `kick=False` the email waits for one sweep (the job's, for all it issued)."""
    from certificates.pdf import certificate_pdf  # the PDF library, only where one is drawn

    pdf = certificate_pdf(certificate)
    mail_queue(
        kind="certificate_issued",
        to=certificate.email,
        context={"certificate": certificate, "verification_url": verification_url(certificate)},
        related=certificate,
        attachments=[
            Attachment(
                filename=f"certificate-{certificate.code}.pdf",
                content_type="application/pdf",
                content=base64.b64encode(pdf).decode(),
                base64=True,
            )
        ],
        language=certificate.language,
        kick=kick,
    )


def certificate_issue(
    *, participant_id: int, now: datetime | None = None, kick: bool = True
) -> Certificate | None:
    """The participant's certificate, once: None if they have one or are no longer due."""
    now = now or timezone.now()
    try:
        return _issue(participant_id, now, kick=kick)
    except IntegrityError:
        return None  # a run beside this one issued it first (one valid certificate each)


def _issue(participant_id: int, now: datetime, *, kick: bool) -> Certificate | None:
    with transaction.atomic():
        participant = (
            due_participants(now=now)
            .select_for_update(of=("self",), skip_locked=True)
            .select_related("enrollment__session__offering")
            .filter(pk=participant_id)
            .first()
        )
        if participant is None:
            return None
        certificate = _snapshot(participant, now=now)
        certificate.save()
        _send(certificate, kick=kick)
        events.publish(CertificateIssued(certificate_id=certificate.pk))
    logger.info("certificate %s issued", certificate.pk)
    return certificate


def certificates_issue_due(
    *, now: datetime | None = None, budget_seconds: float | None = None
) -> tuple[int, bool]:
    """Issue every certificate due, one transaction each; returns how many, and whether the
    time budget ran out before all were (the caller runs again soon). Their emails wait in
    the outbox for one sweep, queued at the end, rather than a task each."""
    now = now or timezone.now()
    started = time.monotonic()
    issued = 0
    unfinished = False
    for participant_id in due_participants(now=now).values_list("pk", flat=True).iterator():
        if budget_seconds is not None and time.monotonic() - started > budget_seconds:
            unfinished = True
            break
        if certificate_issue(participant_id=participant_id, now=now, kick=False):
            issued += 1
    if issued:
        # Should this kick be lost, the minute sweep sends them.
        enqueue_on_commit("enrollments.dispatch_outbox")
    return issued, unfinished


def certificate_revoke(
    *, certificate_id: int, reason: str, now: datetime | None = None
) -> Certificate:
    """The certificate no longer stands; its verification page says so plainly."""
    now = now or timezone.now()
    reason = reason.strip()
    if not reason:
        raise InvalidInput(fields={"reason": ["Say why, for the record."]})
    with transaction.atomic():
        certificate = Certificate.objects.select_for_update().get(pk=certificate_id)
        if certificate.status == Certificate.Status.REVOKED:
            raise Conflict("This certificate is revoked already.", code="revoked")
        certificate.status = Certificate.Status.REVOKED
        certificate.revoked_at, certificate.revoked_reason = now, reason[:300]
        certificate.save(update_fields=["status", "revoked_at", "revoked_reason"])
    return certificate


def certificate_reissue(
    *,
    certificate_id: int,
    name: str,
    registration_number: str = "",
    now: datetime | None = None,
) -> Certificate:
    """A corrected certificate (a name misspelt, a registration number added): a new code,
    the same attendance; the old one revoked and pointing to it. The participant is sent the
    new one."""
    now = now or timezone.now()
    name = " ".join(name.split())
    if not name:
        raise InvalidInput(fields={"name": ["The name as it should be printed."]})
    with transaction.atomic():
        old = Certificate.objects.select_for_update().get(pk=certificate_id)
        if old.status == Certificate.Status.REVOKED:
            raise Conflict("Reissue the certificate that replaced it.", code="revoked")
        participant = (
            Participant.objects.select_related("enrollment__session__offering")
            .filter(pk=old.participant_id or 0)
            .first()
        )
        if participant is None or not participant.email:
            raise Conflict("Its participant was erased: it can be revoked, not reissued.")
        old.status, old.revoked_at = Certificate.Status.REVOKED, now
        old.revoked_reason = "Reissued with corrections."
        old.save(update_fields=["status", "revoked_at", "revoked_reason"])
        new = _snapshot(
            participant,
            now=now,
            name=name,
            registration_number=" ".join(registration_number.split())[:60],
        )
        new.save()
        old.replaced_by = new
        old.save(update_fields=["replaced_by"])
        _send(new)
        events.publish(CertificateIssued(certificate_id=new.pk))
    return new


def participant_registration_number_set(*, participant_id: int, number: str) -> Certificate | None:
    """The participant gives (or changes) their registration number on their own page; a
    certificate they hold already is reissued with it. Returns the new certificate, if any."""
    with transaction.atomic():
        before = Participant.objects.select_for_update().get(pk=participant_id)
        participant = participant_set_registration_number(
            participant_id=participant_id, number=number
        )
        if participant.registration_number == before.registration_number:
            return None
        held = Certificate.objects.filter(
            participant_id=participant_id, status=Certificate.Status.VALID
        ).first()
        if held is None:
            return None
        return certificate_reissue(
            certificate_id=held.pk,
            name=held.participant_name,
            registration_number=participant.registration_number,
        )


def participant_by_token(token: str) -> Participant:
    """The participant behind their own page's link; NotFound for an unknown or erased one."""
    participant = (
        Participant.objects.select_related("enrollment__session__offering")
        .filter(token=token)
        .exclude(email="")
        .first()
    )
    if participant is None:
        raise NotFound()
    return participant
