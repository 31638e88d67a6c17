"""Every public page, in both languages: it answers in the language the browser asks for,
passes axe, and is photographed whole under var/screenshots/ for people to look at
(`make screenshots` runs just this file)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from billing.services.invoices import BilledLine, Buyer, invoice_issue
from billing.tax import TaxRule
from certificates.models import Certificate
from certificates.services import new_code
from config.references import new_token
from enrollments.models import Enrollment
from inquiries.models import Inquiry
from organizations.models import Organization
from surveys.models import OrganizationReport, ReportedSession
from tests.browser.conftest import axe_check, screenshot
from tests.browser.test_proposal_pages import sent_proposal
from tests.factories import (
    EnrollmentFactory,
    ParticipantFactory,
    SessionFactory,
    SurveyInvitationFactory,
)

LANGUAGES = ["en", "nl"]


def whole_page(driver: WebDriver, name: str) -> None:
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1280, max(900, int(height)))
    try:
        screenshot(driver, name)
    finally:
        driver.set_window_size(1280, 900)


@pytest.fixture
def practice(db):
    session = SessionFactory.create(
        offering__title="Burnout and Recovery",
        offering__summary="Three hours on noticing burnout early, in yourself and your team.",
        offering__price_cents=18000,
        starts_at=timezone.now() + timedelta(days=12),
        capacity=12,
    )
    full = SessionFactory.create(
        offering=session.offering, capacity=1, starts_at=timezone.now() + timedelta(days=40)
    )
    EnrollmentFactory.create(session=full)
    booking = EnrollmentFactory.create(
        session=session, status=Enrollment.Status.PENDING_PAYMENT, seats=2
    )
    invitation = SurveyInvitationFactory.create()
    team = sent_proposal(Inquiry.Kind.TEAM_TRAINING, 2, price_cents=12100)
    one = sent_proposal(Inquiry.Kind.PERSONAL_GUIDANCE, 3, price_cents=9500)
    invoice = invoice_issue(
        buyer=Buyer(name="Zoë Ørsted", email="zoe@example.org", company="Praxis Ørsted"),
        lines=[BilledLine("Burnout and Recovery, 2 seats", 2, 18000, TaxRule(Decimal(21)))],
        currency="EUR",
        payable=booking,
        reference=booking.reference,
        po_number="PO-77",
    )
    certificate = Certificate.objects.create(
        code=new_code(),
        kind=Certificate.Kind.CONTINUING_EDUCATION,
        participant_name="Łukasz Köhler",
        email="lukasz@example.org",
        offering_title="Burnout and Recovery",
        dates="Tuesday 1 December 2026, 13:00–16:00 (Europe/Amsterdam)",
        starts_on=timezone.localdate(),
        hours=Decimal("3.0"),
        accreditor="Accreditatiebureau Zorg",
        issued_at=timezone.now(),
    )
    reported = report_of("Kliniek Noord", people=7)
    withheld = report_of("Praxis Süd", people=3)
    return {
        "home": "/",
        "offering": f"/offerings/{session.offering.slug}/",
        "book": f"/sessions/{session.pk}/book/",
        "waitlist": f"/sessions/{full.pk}/book/",
        "contact": "/contact/",
        "privacy": "/privacy/",
        "booking": f"/enrollments/{booking.token}/",
        "survey": f"/surveys/{invitation.token}/",
        "proposal-team": f"/proposals/{team.token}/",
        "proposal-one-person": f"/proposals/{one.token}/",
        "invoice": f"/invoices/{invoice.token}/",
        "certificate": f"/certificates/{certificate.shown_code}/",
        "participant": f"/participants/{ParticipantFactory.create(enrollment=booking).token}/",
        "report": f"/reports/{reported.token}/",
        "report-withheld": f"/reports/{withheld.token}/",
        "not-found": "/offerings/no-such-thing/",
    }


def report_of(name: str, *, people: int) -> OrganizationReport:
    """An organization's report with one session counted: its people's answers as counted."""
    report = OrganizationReport.objects.create(
        organization=Organization.objects.create(name=name), token=new_token()
    )
    ReportedSession.objects.create(
        report=report,
        session=SessionFactory.create(
            is_public=False, organization=name, starts_at=timezone.now() - timedelta(days=20)
        ),
        closed_at=timezone.now(),
        invited=people + 2,
        answered=people,
        tally=[
            {
                "key": "overall",
                "type": "rating",
                "text": "All in all, how valuable was the session for you?",
                "text_nl": "",
                "counts": {"5": people - 2, "4": 2},
            },
            {
                "key": "felt_heard",
                "type": "rating",
                "text": "I felt heard and respected.",
                "text_nl": "",
                "counts": {"5": people - 1, "3": 1},
            },
            {
                "key": "recommend",
                "type": "nps",
                "text": "How likely are you to recommend this training to a colleague?",
                "text_nl": "",
                "counts": {"10": people - 3, "8": 3},
            },
        ],
    )
    return report


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_speaks_the_language_asked_for_and_passes_axe(
    browser_in, live_server, practice, language
):
    browser = browser_in(language)
    for name, path in practice.items():
        browser.get(f"{live_server.url}{path}")
        html = browser.find_element(By.TAG_NAME, "html")
        assert html.get_attribute("lang") == language, name
        skip = browser.find_element(By.CSS_SELECTOR, ".skip-link").get_attribute("textContent")
        assert skip == {"en": "Skip to the content", "nl": "Direct naar de inhoud"}[language], name
        axe_check(browser)
        whole_page(browser, f"{name}-{language}")
