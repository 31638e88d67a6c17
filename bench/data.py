"""The rows each scenario needs, written straight to the bench's own database.

Only what a scenario measures goes through HTTP; the setting (a session with 10,000
people in it, a thousand payments waiting for Stripe) is laid down here in bulk.
"""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from billing.models import Payment
from config.references import new_reference, new_token
from enrollments.models import Enrollment, Participant
from organizations.models import Organization, Proposal, ProposalDateOption
from workshops.models import Offering, Session

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


def ended_session_with(participants: int, per_enrollment: int = 10) -> Session:
    """A session that ended past the survey delay, with `participants` confirmed people."""
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
                email=f"survey-{e.pk}-{n}@example.test",
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
