"""The public pages walked as a person would, by keyboard alone: booking a seat and paying
at localstripe with its stand-in card form, joining a waitlist, writing to the practice
with and without crisis language; axe checks each page for WCAG 2.1 AA."""

from datetime import timedelta

import pytest
from django.utils import timezone, translation
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.wait import WebDriverWait

from enrollments.models import Enrollment
from inquiries.models import Inquiry
from outbox.models import OutgoingMail
from tests.browser.conftest import axe_check, press, tab_to, type_into_focused
from tests.factories import EnrollmentFactory, SessionFactory
from tests.stand_ins import wait_until

WAIT = 10  # seconds
# Paying runs the webhook in the live server's threads while the test reads: on PostgreSQL,
# as the integration tests of payments do (SQLite's shared in-memory test database is not
# made for writers in several threads).
PAYING = pytest.mark.postgres
CARD = {"number": "4242424242424242", "exp_month": "12", "exp_year": "34", "cvc": "123"}


def by_label(driver: WebDriver, text: str):
    """The field a label names, as a screen reader would find it."""
    label = driver.find_element(By.XPATH, f"//label[contains(normalize-space(.), '{text}')]")
    return driver.find_element(By.ID, label.get_attribute("for"))


def fill(driver: WebDriver, label: str, text: str) -> None:
    tab_to(driver, by_label(driver, label))
    type_into_focused(driver, text)


def submit(driver: WebDriver, text: str) -> None:
    """Tab to the button that says `text` and press ENTER; wait for the next page."""
    button = driver.find_element(
        By.XPATH, f"//main//button[contains(normalize-space(.), '{text}')]"
    )
    tab_to(driver, button)
    press(driver, Keys.ENTER)
    WebDriverWait(driver, WAIT).until(EC.staleness_of(button))


def follow(driver: WebDriver, text: str) -> None:
    link = driver.find_element(By.XPATH, f"//main//a[contains(normalize-space(.), '{text}')]")
    tab_to(driver, link)
    press(driver, Keys.ENTER)
    WebDriverWait(driver, WAIT).until(EC.staleness_of(link))


def book_by_keyboard(driver: WebDriver, name: str, email: str) -> None:
    """Fill in the booking form (any language: by the fields' ids) and send it."""
    tab_to(driver, driver.find_element(By.ID, "f-name"))
    type_into_focused(driver, name)
    tab_to(driver, driver.find_element(By.ID, "f-email"))
    type_into_focused(driver, email)
    tab_to(driver, driver.find_element(By.ID, "f-consent"))
    press(driver, Keys.SPACE)
    button = driver.find_element(By.CSS_SELECTOR, "button[name=action][value=book]")
    tab_to(driver, button)
    press(driver, Keys.ENTER)
    WebDriverWait(driver, WAIT).until(EC.staleness_of(button))


def pay_by_keyboard(driver: WebDriver, number: str, *, check: bool = False) -> None:
    """From the booking's page: on to payment, the card typed into localstripe's stand-in
    card form (which moves on to the next part by itself), and Pay."""
    button = driver.find_element(By.CSS_SELECTOR, "form[action$='/pay/'] button")
    tab_to(driver, button)
    press(driver, Keys.ENTER)
    WebDriverWait(driver, WAIT).until(
        EC.presence_of_element_located((By.CSS_SELECTOR, "#card-element input"))
    )
    if check:
        axe_check(driver, exclude=("#card-element",))  # Stripe's card form is Stripe's to judge
    tab_to(driver, driver.find_element(By.CSS_SELECTOR, "#card-element input"))
    for part in {**CARD, "number": number}.values():
        type_into_focused(driver, part)
    type_into_focused(driver, "10115")  # the postal code
    tab_to(driver, driver.find_element(By.ID, "card-submit"))
    press(driver, Keys.ENTER)


@pytest.fixture
def paying(localstripe, live_server, settings, eager_tasks):
    """Paying by Stripe Elements at localstripe, whose signed webhooks reach the live server."""
    localstripe.deliver_webhooks_to(f"{live_server.url}/api/v1/billing/stripe/webhook/")
    return localstripe


@PAYING
def test_a_seat_is_booked_and_paid_by_keyboard_alone(browser, live_server, paying):
    SessionFactory.create(
        offering__title="Burnout and Recovery", offering__price_cents=18000, capacity=8
    )

    browser.get(f"{live_server.url}/")
    axe_check(browser)
    follow(browser, "Burnout and Recovery")
    axe_check(browser)
    follow(browser, "Book a seat")
    axe_check(browser)
    book_by_keyboard(browser, "Ada Lovelace", "ada@example.org")

    booking = Enrollment.objects.get(email="ada@example.org")
    assert booking.status == Enrollment.Status.PENDING_PAYMENT
    pay_by_keyboard(browser, CARD["number"], check=True)
    WebDriverWait(browser, WAIT).until(EC.url_contains("?paid=1"))

    wait_until(lambda: Enrollment.objects.get(pk=booking.pk).status == "confirmed", 15)
    browser.refresh()
    assert "Your place is confirmed" in browser.find_element(By.TAG_NAME, "main").text
    axe_check(browser)


@PAYING
def test_a_declined_card_is_told_kindly_and_the_seat_stays_held(browser, live_server, paying):
    session = SessionFactory.create(offering__price_cents=18000)
    booking = EnrollmentFactory.create(session=session, status=Enrollment.Status.PENDING_PAYMENT)

    browser.get(f"{live_server.url}/enrollments/{booking.token}/")
    pay_by_keyboard(browser, "4000000000000341")  # a card whose charge is declined

    status = browser.find_element(By.ID, "card-status")
    WebDriverWait(browser, WAIT).until(lambda _: "not accepted" in status.text)
    assert "nothing was charged" in status.text
    booking.refresh_from_db()
    assert booking.status == Enrollment.Status.PENDING_PAYMENT


@PAYING
def test_a_card_that_asks_its_bank_is_approved_by_keyboard_and_confirmed(
    browser, live_server, paying
):
    session = SessionFactory.create(offering__price_cents=18000)
    booking = EnrollmentFactory.create(session=session, status=Enrollment.Status.PENDING_PAYMENT)

    browser.get(f"{live_server.url}/enrollments/{booking.token}/")
    pay_by_keyboard(browser, "4000002760003184")  # Stripe's card that asks for 3D Secure
    approve = WebDriverWait(browser, WAIT).until(
        EC.element_to_be_clickable(
            (By.XPATH, "//button[normalize-space(.)='Complete authentication']")
        )
    )  # the stand-in's bank page, where Stripe.js would show the bank's own
    tab_to(browser, approve)
    press(browser, Keys.ENTER)
    WebDriverWait(browser, WAIT).until(EC.url_contains("?paid=1"))

    wait_until(lambda: Enrollment.objects.get(pk=booking.pk).status == "confirmed", 15)


def test_a_full_date_offers_its_waitlist_and_joining_takes_the_keyboard_alone(browser, live_server):
    session = SessionFactory.create(capacity=1, offering__title="Trauma-Informed Care")
    EnrollmentFactory.create(session=session)

    browser.get(f"{live_server.url}/offerings/{session.offering.slug}/")
    assert "Fully booked" in browser.find_element(By.TAG_NAME, "main").text
    follow(browser, "Join the waitlist")
    axe_check(browser)
    book_by_keyboard(browser, "Grace Hopper", "grace@example.org")

    waiting = Enrollment.objects.get(email="grace@example.org")
    assert waiting.status == Enrollment.Status.WAITLISTED
    assert "You're on the waitlist" in browser.find_element(By.TAG_NAME, "main").text


def test_a_form_sent_with_mistakes_takes_focus_to_what_needs_another_look(browser, live_server):
    session = SessionFactory.create(starts_at=timezone.now() + timedelta(days=3))

    browser.get(f"{live_server.url}/sessions/{session.pk}/book/")
    fill(browser, "Your name", "Ada Lovelace")
    fill(browser, "Your email address", "ada at example")
    submit(browser, "Book and continue to payment")

    summary = browser.find_element(By.CSS_SELECTOR, ".error-summary[role=alert]")
    assert browser.switch_to.active_element == summary  # read out first
    email = browser.find_element(By.ID, "f-email")
    assert email.get_attribute("value") == "ada at example"
    assert email.get_attribute("aria-invalid") == "true"
    described = email.get_attribute("aria-describedby").split()
    assert "valid email" in browser.find_element(By.ID, described[-1]).text
    axe_check(browser)
    assert not Enrollment.objects.exists()


@pytest.mark.parametrize(
    ("message", "support"),
    [
        ("I'd like to talk about the weight of my caseload.", False),
        ("Since the accident I feel hopeless and I want to end my life.", True),
    ],
)
def test_a_message_reaches_the_practice_by_keyboard_alone(browser, live_server, message, support):
    browser.get(f"{live_server.url}/")
    follow(browser, "Drop me a message")
    axe_check(browser)
    tab_to(browser, browser.find_element(By.CSS_SELECTOR, "input[name=kind][value=general]"))
    press(browser, Keys.ARROW_UP, Keys.ARROW_UP)  # within the group, to "Personal guidance"
    fill(browser, "Your name", "Ada Lovelace")
    fill(browser, "Your email address", "ada@example.org")
    fill(browser, "Your message", message)
    tab_to(browser, browser.find_element(By.ID, "f-consent"))
    press(browser, Keys.SPACE)
    submit(browser, "Send my message")

    inquiry = Inquiry.objects.get()
    assert inquiry.kind == "personal_guidance"
    assert inquiry.urgent is support
    page = browser.find_element(By.TAG_NAME, "main").text
    assert inquiry.reference in page
    assert ("If you need help now" in page) is support
    axe_check(browser)


@PAYING
def test_the_same_booking_in_dutch_is_paid_and_confirmed_in_dutch(browser_in, live_server, paying):
    browser = browser_in("nl")
    session = SessionFactory.create(
        offering__title="Burn-out en herstel", offering__price_cents=18000
    )

    browser.get(f"{live_server.url}/sessions/{session.pk}/book/")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "nl"
    assert "180,00 EUR" in browser.find_element(By.TAG_NAME, "main").text
    axe_check(browser)
    book_by_keyboard(browser, "Anouk de Vries", "anouk@example.org")
    pay_by_keyboard(browser, CARD["number"], check=True)
    WebDriverWait(browser, WAIT).until(EC.url_contains("?paid=1"))

    booking = Enrollment.objects.get(email="anouk@example.org")
    assert booking.language == "nl"
    wait_until(lambda: Enrollment.objects.get(pk=booking.pk).status == "confirmed", 15)
    mail = OutgoingMail.objects.get(kind="enrollment_confirmation")
    with translation.override("nl"):
        dutch = translation.gettext("Your place is confirmed: %(title)s")
    assert mail.subject == dutch % {"title": "Burn-out en herstel"}
    assert "180,00" in mail.body_text
