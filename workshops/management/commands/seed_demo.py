"""A believable catalog for the practice, with sessions in the coming weeks.

Running it again changes nothing: rows are found by their natural keys and left as
they are (an admin may have edited them), and sessions are only added to an offering
that has none still to come.
"""

import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from workshops.models import Facilitator, Offering, Session, Topic

FACILITATORS = {
    "Dr. Miriam Hale": (
        "PhD, licensed clinical psychologist",
        "Miriam has supported clinicians for twenty years, in private practice and in "
        "hospital teams. Her work centres on unconditional positive regard: meeting each "
        "person, and each colleague, without judgment.",
    ),
    "Jonah Reyes": (
        "LCSW, certified team trainer",
        "Jonah trains care teams in psychiatric and community settings to speak about "
        "hard moments with curiosity instead of blame.",
    ),
}

TOPICS = [
    "Unconditional positive regard",
    "Therapeutic rapport",
    "Nonjudgmental care",
    "Resilience",
    "Gratitude",
    "Clinician wellbeing",
]


@dataclass
class DemoSession:
    days_ahead: int
    start: time
    timezone: str = "Europe/Amsterdam"
    capacity: int = 16
    location: str = "Online"
    meeting_link: str = ""
    organization: str = ""


@dataclass
class DemoOffering:
    slug: str
    kind: str
    title: str
    summary: str
    description: str
    audience: str
    format: str
    duration_minutes: int
    price_cents: int
    ce_hours: Decimal | None
    topics: list[str]
    facilitators: list[str]
    sessions: list[DemoSession] = field(default_factory=list)


CATALOG = [
    DemoOffering(
        slug="unconditional-positive-regard-in-practice",
        kind=Offering.Kind.WORKSHOP,
        title="Unconditional Positive Regard in Practice",
        summary="Bring warmth and acceptance into every session, even the difficult ones.",
        description=(
            "A practical workshop on the attitude at the heart of client-centred work. "
            "Through short demonstrations, paired practice and reflection, we look at what "
            "gets in the way of regard — fatigue, judgment, our own history — and how to "
            "return to it when it slips."
        ),
        audience="Psychologists, counsellors and psychotherapists at any stage",
        format=Offering.Format.ONLINE,
        duration_minutes=180,
        price_cents=18000,
        ce_hours=Decimal("3.0"),
        topics=["Unconditional positive regard", "Therapeutic rapport"],
        facilitators=["Dr. Miriam Hale"],
        sessions=[
            DemoSession(14, time(16, 0), meeting_link="https://meet.example.org/regard-upr-1"),
            DemoSession(42, time(16, 0), meeting_link="https://meet.example.org/regard-upr-2"),
        ],
    ),
    DemoOffering(
        slug="building-rapport-beyond-the-expert-facade",
        kind=Offering.Kind.WORKSHOP,
        title="Building Rapport Beyond the Expert Facade",
        summary="Let clients meet the person, not only the professional.",
        description=(
            "A full day on genuineness in the therapeutic relationship: when expertise "
            "helps, when it becomes a wall, and how to stay grounded while being more "
            "openly human with the people you serve."
        ),
        audience="Clinicians who want deeper, more honest working alliances",
        format=Offering.Format.IN_PERSON,
        duration_minutes=360,
        price_cents=24000,
        ce_hours=Decimal("6.0"),
        topics=["Therapeutic rapport"],
        facilitators=["Dr. Miriam Hale"],
        sessions=[
            DemoSession(21, time(9, 30), capacity=20, location="Keizersgracht 214, Amsterdam"),
            DemoSession(63, time(9, 30), capacity=20, location="Keizersgracht 214, Amsterdam"),
        ],
    ),
    DemoOffering(
        slug="nonjudgmental-care-teams",
        kind=Offering.Kind.TEAM_TRAINING,
        title="Nonjudgmental Care Teams",
        summary="A training for whole teams: talk about hard moments without blame.",
        description=(
            "For wards, practices and community teams. We practise case discussions in "
            "which no one has to defend themselves, and agree on small habits the team "
            "keeps afterwards. Organizations can book a private date for their staff."
        ),
        audience="Care teams in hospitals, clinics and community services",
        format=Offering.Format.HYBRID,
        duration_minutes=420,
        price_cents=32000,
        ce_hours=Decimal("7.0"),
        topics=["Nonjudgmental care", "Clinician wellbeing"],
        facilitators=["Jonah Reyes", "Dr. Miriam Hale"],
        sessions=[
            DemoSession(
                28,
                time(9, 0),
                capacity=24,
                location="Hybrid: Utrecht and online",
                meeting_link="https://meet.example.org/regard-teams-1",
            ),
            DemoSession(
                35,
                time(9, 0),
                capacity=18,
                location="St. Anna Clinic, Eindhoven",
                organization="St. Anna Clinic",
            ),
        ],
    ),
    DemoOffering(
        slug="personal-guidance-for-clinicians",
        kind=Offering.Kind.COACHING,
        title="Personal Guidance for Clinicians",
        summary="One-to-one time to reflect on your work and how you carry it.",
        description=(
            "Confidential coaching and consultation for clinicians: a difficult case, a "
            "career question, or simply the weight of the work. Write to us and we will "
            "find a first conversation that suits you."
        ),
        audience="Individual clinicians",
        format=Offering.Format.ONLINE,
        duration_minutes=50,
        price_cents=12000,
        ce_hours=None,
        topics=["Clinician wellbeing"],
        facilitators=["Dr. Miriam Hale"],
    ),
    DemoOffering(
        slug="resilience-and-gratitude",
        kind=Offering.Kind.WORKSHOP,
        title="Resilience and Gratitude for Helping Professionals",
        summary="Small, evidence-informed practices for staying well in demanding work.",
        description=(
            "An evening workshop on what sustains people in the helping professions: "
            "noticing what went well, sharing it, and recovering between hard days."
        ),
        audience="Anyone in a caring profession",
        format=Offering.Format.ONLINE,
        duration_minutes=120,
        price_cents=9500,
        ce_hours=Decimal("2.0"),
        topics=["Resilience", "Gratitude", "Clinician wellbeing"],
        facilitators=["Jonah Reyes"],
        sessions=[
            DemoSession(
                10, time(19, 0), capacity=30, meeting_link="https://meet.example.org/regard-rg-1"
            ),
            DemoSession(
                40, time(19, 0), capacity=30, meeting_link="https://meet.example.org/regard-rg-2"
            ),
        ],
    ),
]


def _session_fields(spec: DemoSession, offering: Offering, today: date) -> dict[str, Any]:
    zone = zoneinfo.ZoneInfo(spec.timezone)
    starts_at = datetime.combine(today + timedelta(days=spec.days_ahead), spec.start, zone)
    return {
        "offering": offering,
        "starts_at": starts_at,
        "ends_at": starts_at + timedelta(minutes=offering.duration_minutes),
        "timezone": spec.timezone,
        "location": spec.location,
        "meeting_link": spec.meeting_link,
        "capacity": spec.capacity,
        "is_public": not spec.organization,
        "organization": spec.organization,
    }


class Command(BaseCommand):
    help = "Load the demo catalog. Safe to run again: it only adds what is missing."

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        topics = {
            name: Topic.objects.get_or_create(name=name, defaults={"slug": slugify(name)})[0]
            for name in TOPICS
        }
        facilitators = {
            name: Facilitator.objects.get_or_create(
                name=name, defaults={"credentials": credentials, "bio": bio}
            )[0]
            for name, (credentials, bio) in FACILITATORS.items()
        }
        created_offerings = created_sessions = 0
        for spec in CATALOG:
            offering, created = Offering.objects.get_or_create(
                slug=spec.slug,
                defaults={
                    "kind": spec.kind,
                    "title": spec.title,
                    "summary": spec.summary,
                    "description": spec.description,
                    "audience": spec.audience,
                    "format": spec.format,
                    "duration_minutes": spec.duration_minutes,
                    "price_cents": spec.price_cents,
                    "ce_hours": spec.ce_hours,
                    "is_published": True,
                },
            )
            if created:
                created_offerings += 1
                offering.topics.set([topics[name] for name in spec.topics])
                offering.facilitators.set([facilitators[name] for name in spec.facilitators])
            if offering.sessions.filter(starts_at__gt=now).exists():
                continue
            for session_spec in spec.sessions:
                Session.objects.create(**_session_fields(session_spec, offering, now.date()))
                created_sessions += 1
        self.stdout.write(
            f"Demo catalog ready: {created_offerings} offering(s) and "
            f"{created_sessions} session(s) added."
        )
