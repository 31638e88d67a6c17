"""The rows each scenario needs, written straight to the bench's own database.

Only what a scenario measures goes through HTTP; the setting (a session with 10,000
people in it, a thousand payments waiting for Stripe) is laid down here in bulk.
"""

from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils import timezone

from billing.models import Payment
from config.references import new_reference, new_token
from enrollments.models import Enrollment, Participant
from organizations.models import Organization, Proposal, ProposalDateOption
from workshops.models import Offering, Session

if TYPE_CHECKING:
    from surveys.models import SurveyTemplate

PRICE_CENTS = 25_000


def _offering() -> Offering:
    offering = Offering.objects.filter(is_published=True, price_cents__gt=0).order_by("pk").first()
    if offering is None:
        raise RuntimeError("the demo catalog has no paid, published offering to book")
    return offering


def session(*, capacity: int, label: str, starts_in: timedelta = timedelta(days=30)) -> Session:
    start = timezone.now() + starts_in
    return Session.objects.create(
        offering=_offering(),
        title=f"Bench: {label}",
        starts_at=start,
        ends_at=start + timedelta(hours=3),
        timezone="Europe/Amsterdam",
        location="Online",
        capacity=capacity,
        price_override_cents=PRICE_CENTS,
        is_public=True,
        waitlist_enabled=False,
    )


def catalog_session() -> Session:
    """A public session of the demo catalog, for the detail scenario."""
    found = (
        Session.objects.filter(is_public=True, offering__is_published=True)
        .order_by("starts_at")
        .first()
    )
    if found is None:
        raise RuntimeError("the demo catalog has no public session")
    return found


def _enrollments(
    target: Session, count: int, *, seats: int, status: str, holds: bool
) -> list[Enrollment]:
    now = timezone.now()
    rows = [
        Enrollment(
            session=target,
            name=f"Bench Person {n}",
            email=f"bench-{target.pk}-{n}@example.test",
            seats=seats,
            status=status,
            amount_cents=PRICE_CENTS * seats,
            currency=target.offering.currency,
            hold_expires_at=now + timedelta(hours=2) if holds else None,
            confirmed_at=None if holds else now,
            token=new_token(),
            reference=new_reference("ENR"),
            consent_at=now,
        )
        for n in range(count)
    ]
    return Enrollment.objects.bulk_create(rows, batch_size=1000)


def pending_payments(count: int) -> list[Payment]:
    """`count` held seats, each with a PaymentIntent waiting for Stripe's word."""
    target = session(capacity=count, label="webhook ingest")
    held = _enrollments(
        target, count, seats=1, status=Enrollment.Status.PENDING_PAYMENT, holds=True
    )
    Participant.objects.bulk_create(
        (Participant(enrollment=e, name=e.name, email=e.email) for e in held), batch_size=1000
    )
    payments = [
        Payment(
            payable=e,
            payable_reference=e.reference,
            attempt=1,
            flow=Payment.Flow.PAYMENT_INTENT,
            amount_cents=e.amount_cents,
            currency=e.currency,
            stripe_payment_intent_id=f"pi_bench_{e.pk}",
            client_secret=f"pi_bench_{e.pk}_secret_bench",
        )
        for e in held
    ]
    return Payment.objects.bulk_create(payments, batch_size=1000)


def ended_session_with(
    participants: int, per_enrollment: int = 10, *, prefix: str = "survey"
) -> Session:
    """A session that ended past the survey delay, with `participants` confirmed people
    (their addresses start with `prefix`, which the mail sink counts by)."""
    ended = timezone.now() - timedelta(hours=settings.FOLLOWUP_SURVEY_DELAY_HOURS + 1)
    target = session(capacity=participants, label="survey fan-out", starts_in=timedelta(0))
    Session.objects.filter(pk=target.pk).update(
        starts_at=ended - timedelta(hours=3), ends_at=ended, status=Session.Status.COMPLETED
    )
    booked = _enrollments(
        target,
        participants // per_enrollment,
        seats=per_enrollment,
        status=Enrollment.Status.CONFIRMED,
        holds=False,
    )
    Participant.objects.bulk_create(
        (
            Participant(
                enrollment=e,
                name=f"Participant {e.pk}-{n}",
                email=f"{prefix}-{e.pk}-{n}@example.test",
            )
            for e in booked
            for n in range(per_enrollment)
        ),
        batch_size=2000,
    )
    return target


def sent_proposals(count: int) -> list[Proposal]:
    """`count` team-training proposals, sent, each with one date and three seats."""
    offering = _offering()
    organization = Organization.objects.create(name="Bench clinic", country="NL")
    start = timezone.now() + timedelta(days=30)
    proposals = Proposal.objects.bulk_create(
        (
            Proposal(
                reference=f"PRO-B{n:05d}",
                token=new_token(),
                status=Proposal.Status.SENT,
                organization=organization,
                contact_name=f"Bench Contact {n}",
                contact_email=f"contact-{n}@example.test",
                offering=offering,
                seats=3,
                price_cents=PRICE_CENTS,
                valid_until=(start + timedelta(days=1)).date(),
                terms="Bench terms.",
                sent_at=timezone.now(),
            )
            for n in range(count)
        ),
        batch_size=1000,
    )
    ProposalDateOption.objects.bulk_create(
        (
            ProposalDateOption(proposal=p, starts_at=start + timedelta(minutes=n))
            for n, p in enumerate(proposals)
        ),
        batch_size=1000,
    )
    return proposals


def attended_session_with(participants: int) -> Session:
    """An ended session with continuing-education hours, everyone present throughout and
    their evaluation answered: each is due a certificate."""
    from surveys.models import SurveyInvitation

    target = ended_session_with(participants, prefix="certificate")
    Offering.objects.filter(pk=target.offering_id).update(
        ce_hours=3, ce_accreditor="Accreditatiebureau Zorg", ce_statement="Approved for 3 hours."
    )
    people = Participant.objects.filter(enrollment__session=target)
    people.update(attendance=Participant.Attendance.PRESENT)
    template = _default_template()
    now = timezone.now()
    SurveyInvitation.objects.bulk_create(
        (
            SurveyInvitation(
                participant_id=pk,
                session=target,
                template=template,
                token=new_token(),
                invited_at=now,
                submitted_at=now,
            )
            for pk in people.values_list("pk", flat=True)
        ),
        batch_size=2000,
    )
    return target


def _default_template() -> "SurveyTemplate":
    from surveys.models import SurveyTemplate

    return SurveyTemplate.objects.get(is_default=True)


def survey_history(
    *, answers: int, months: int = 24, offerings: int = 12, per_session: int = 80
) -> Organization:
    """Answered surveys, five answers a person, spread over `months` months of sessions of
    `offerings` offerings led by four facilitators; the first sessions are an
    organization's (through accepted proposals), and their surveys have closed. Returns
    the organization."""
    from surveys.models import SurveyAnswer, SurveyInvitation
    from workshops.models import Facilitator

    people = answers // 5
    sessions_needed = max(1, people // per_session)
    facilitators = Facilitator.objects.bulk_create(
        Facilitator(name=f"Bench Facilitator {n}") for n in range(4)
    )
    made = []
    for n in range(offerings):
        offering = Offering.objects.create(
            kind=Offering.Kind.TEAM_TRAINING,
            title=f"Bench results offering {n}",
            slug=f"bench-results-{n}-{new_token()[:8]}",
            summary="Bench.",
            description="Bench.",
            format=Offering.Format.ONLINE,
            duration_minutes=180,
            price_cents=PRICE_CENTS,
            currency="EUR",
        )
        offering.facilitators.set(facilitators[n % 4 : n % 4 + 2])
        made.append(offering)
    now = timezone.now()
    span = timedelta(days=30 * months)
    sessions = Session.objects.bulk_create(
        Session(
            offering=made[n % offerings],
            starts_at=now - span + span * n / sessions_needed - timedelta(days=20),
            ends_at=now - span + span * n / sessions_needed - timedelta(days=20, hours=-3),
            timezone="Europe/Amsterdam",
            location="Online",
            capacity=per_session,
            is_public=False,
            organization="Bench results clinic",
            status=Session.Status.COMPLETED,
        )
        for n in range(sessions_needed)
    )
    organization = Organization.objects.create(name="Bench results clinic", country="NL")
    template = _default_template()
    questions = {q.key: q for q in template.questions.all()}
    for index, target in enumerate(sessions):
        booking = _enrollments(
            target, 1, seats=per_session, status=Enrollment.Status.CONFIRMED, holds=False
        )[0]
        if index < 20:  # the organization's
            Proposal.objects.create(
                reference=new_reference("PRO"),
                token=new_token(),
                status=Proposal.Status.ACCEPTED,
                organization=organization,
                contact_name="Bench Contact",
                contact_email="report-contact@example.test",
                offering=target.offering,
                seats=per_session,
                price_cents=PRICE_CENTS,
                valid_until=target.starts_at.date(),
                terms="Bench terms.",
                enrollment=booking,
            )
        participants = Participant.objects.bulk_create(
            Participant(
                enrollment=booking, name=f"Person {n}", email=f"results-{booking.pk}-{n}@x.test"
            )
            for n in range(per_session)
        )
        invitations = SurveyInvitation.objects.bulk_create(
            SurveyInvitation(
                participant=participant,
                session=target,
                template=template,
                token=new_token(),
                invited_at=target.ends_at + timedelta(days=1),
                submitted_at=target.ends_at + timedelta(days=2),
                overall=1 + (participant.pk % 5),
                felt_heard=1 + (participant.pk * 7 % 5),
                recommend=participant.pk % 11,
            )
            for participant in participants
        )
        SurveyAnswer.objects.bulk_create(
            (
                SurveyAnswer(
                    invitation=invitation,
                    question=questions[key],
                    key=key,
                    type=questions[key].type,
                    question_text=questions[key].text,
                    number=number,
                    text=text,
                    yes=yes,
                )
                for invitation in invitations
                for key, number, text, yes in (
                    ("overall", invitation.overall, "", None),
                    ("felt_heard", invitation.felt_heard, "", None),
                    ("recommend", invitation.recommend, "", None),
                    ("most_valuable", None, f"Practising together, {invitation.pk}.", None),
                    ("wants_guidance", None, "", invitation.pk % 9 == 0),
                )
            ),
            batch_size=5000,
        )
    return organization


def webhook_events(urls: list[str], count: int) -> int:
    """`count` invoice.paid events owed to an endpoint at each URL; returns the deliveries."""
    from integrations.models import WebhookDelivery, WebhookEndpoint, WebhookMessage
    from integrations.webhooks import new_secret

    endpoints = [
        WebhookEndpoint.objects.create(url=url, events=["invoice.paid"], secret=new_secret())
        for url in urls
    ]
    now = timezone.now()
    messages = WebhookMessage.objects.bulk_create(
        (
            WebhookMessage(
                msg_id=f"msg_bench_{n:06d}",
                type="invoice.paid",
                body=f'{{"data":{{"invoice":"2026-B{n:05d}"}},"timestamp":"{now.isoformat()}",'
                '"type":"invoice.paid"}',
                created_at=now,
            )
            for n in range(count)
        ),
        batch_size=2000,
    )
    deliveries = WebhookDelivery.objects.bulk_create(
        (
            WebhookDelivery(message=message, endpoint=endpoint, next_attempt_at=now)
            for message in messages
            for endpoint in endpoints
        ),
        batch_size=5000,
    )
    return len(deliveries)
