"""Proposals and invoices walked as their readers would, by keyboard alone: one person
picks a time and pays by card; an organization accepts with its billing details and goes
on to name its people; axe checks each page for WCAG 2.1 AA."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.wait import WebDriverWait

from billing.models import Invoice
from enrollments.models import Enrollment
from inquiries.models import Inquiry
from organizations.models import ProposalDateOption
from organizations.services import proposal_draft_from_inquiry, proposal_send
from tests.browser.conftest import axe_check, press, tab_to, type_into_focused
from tests.browser.test_public_pages import CARD, PAYING, WAIT, fill, submit
from tests.factories import InquiryFactory, OfferingFactory
from tests.stand_ins import wait_until
from workshops.models import Offering


def sent_proposal(kind, times, price_cents):
    offering = OfferingFactory.create(
        kind=Offering.Kind.TEAM_TRAINING
        if kind == Inquiry.Kind.TEAM_TRAINING
        else Offering.Kind.COACHING,
        price_cents=price_cents,
    )
    inquiry = InquiryFactory.create(
        kind=kind,
        offering=offering,
        name="Jonas Weber",
        email="jonas@clinic.example",
        organization="Praxis Weber" if kind == Inquiry.Kind.TEAM_TRAINING else "",
        team_size=3 if kind == Inquiry.Kind.TEAM_TRAINING else None,
    )
    proposal = proposal_draft_from_inquiry(inquiry=inquiry)
    start = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(days=10)
    for day in range(times):
        ProposalDateOption.objects.create(proposal=proposal, starts_at=start + timedelta(days=day))
    return proposal_send(proposal_id=proposal.pk)


@PAYING
def test_one_person_picks_a_time_and_pays_by_keyboard(
    browser, live_server, localstripe, eager_tasks
):
    localstripe.deliver_webhooks_to(f"{live_server.url}/api/v1/billing/stripe/webhook/")
    proposal = sent_proposal(Inquiry.Kind.PERSONAL_GUIDANCE, 3, price_cents=9500)

    browser.get(f"{live_server.url}/proposals/{proposal.token}/")
    axe_check(browser)
    options = browser.find_elements(By.CSS_SELECTOR, "input[name=date_option]")
    tab_to(browser, options[0])
    press(browser, Keys.ARROW_DOWN)  # the second time, as a radio group moves
    submit(browser, "Accept and pay")

    WebDriverWait(browser, WAIT).until(
        EC.presence_of_element_located((By.CSS_SELECTOR, "#card-element input"))
    )
    axe_check(browser, exclude=("#card-element",))
    tab_to(browser, browser.find_element(By.CSS_SELECTOR, "#card-element input"))
    for part in CARD.values():
        type_into_focused(browser, part)
    type_into_focused(browser, "10115")
    tab_to(browser, browser.find_element(By.ID, "card-submit"))
    press(browser, Keys.ENTER)
    WebDriverWait(browser, WAIT).until(EC.url_contains("?paid=1"))

    booking = Enrollment.objects.get()
    wait_until(lambda: Enrollment.objects.get(pk=booking.pk).status == "confirmed", 15)
    second = proposal.options.all()[1]
    assert booking.session.starts_at == second.starts_at
    assert Invoice.objects.get().status == Invoice.Status.PAID
    browser.refresh()
    assert "This invoice is paid" in browser.find_element(By.TAG_NAME, "main").text
    axe_check(browser)


def test_an_organization_accepts_by_keyboard_and_goes_on_to_name_its_people(
    browser, live_server, settings
):
    settings.DEFAULT_TAX_RATE = Decimal(21)
    proposal = sent_proposal(Inquiry.Kind.TEAM_TRAINING, 1, price_cents=12100)

    browser.get(f"{live_server.url}/proposals/{proposal.token}/")
    fill(browser, "Organization", "Praxis Weber GmbH")
    fill(browser, "Street and number", "Hauptstraße 5")
    fill(browser, "Postal code", "10115")
    fill(browser, "City", "Berlin")
    fill(browser, "Country", "DE")
    fill(browser, "VAT ID", "DE136695977")  # a digit off
    submit(browser, "Accept the proposal")

    summary = browser.find_element(By.CSS_SELECTOR, ".error-summary[role=alert]")
    assert "doesn't look like one from Germany" in summary.text
    assert browser.switch_to.active_element == summary
    axe_check(browser)
    vat = browser.find_element(By.ID, "f-vat_id")
    vat.clear()
    fill(browser, "VAT ID", "DE136695976")
    fill(browser, "PO number", "PO-77")
    submit(browser, "Accept the proposal")

    assert "/enrollments/" in browser.current_url
    main = browser.find_element(By.TAG_NAME, "main").text
    assert "Participants" in main
    axe_check(browser)
    invoice = Invoice.objects.get()
    assert (invoice.po_number, invoice.buyer_vat_id) == ("PO-77", "DE136695976")
