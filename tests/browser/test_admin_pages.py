"""The admin as the practice uses it, in a real browser: signed in through the sign-in form,
the day's front page read and followed."""

from datetime import timedelta

from django.contrib.auth.models import Group, User
from django.utils import timezone
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.wait import WebDriverWait

from config.roles import COORDINATOR, sync_roles
from enrollments.models import Enrollment
from surveys.services import survey_submit
from tests.browser.conftest import axe_check, screenshot
from tests.config.test_dashboard import arrange_a_day
from tests.factories import (
    EnrollmentFactory,
    FacilitatorFactory,
    OfferingFactory,
    ParticipantFactory,
    SessionFactory,
    SurveyInvitationFactory,
)
from tests.stand_ins import wait_until

WAIT = 10  # seconds


def sign_in(browser: WebDriver, base: str, role: str) -> None:
    sync_roles()
    user = User.objects.create_user(role.lower(), password="a long walk by the sea", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    browser.get(f"{base}/admin/login/")
    browser.find_element(By.NAME, "username").send_keys(user.username)
    browser.find_element(By.NAME, "password").send_keys("a long walk by the sea")
    browser.find_element(By.CSS_SELECTOR, "[type=submit]").click()
    WebDriverWait(browser, WAIT).until(EC.presence_of_element_located((By.ID, "today")))


def test_a_coordinator_reads_the_day_and_follows_it_to_the_inquiry(browser, live_server):
    day = arrange_a_day()

    sign_in(browser, live_server.url, COORDINATOR)

    panels = {
        panel.get_attribute("id"): panel.text
        for panel in browser.find_elements(By.CSS_SELECTOR, "#today .today-panel")
    }
    assert "Holding space — 3 taken, 0 left, 2 waiting" in panels["panel-next-sessions"]
    inquiries = panels["panel-inquiries"].splitlines()
    assert inquiries[:2] == ["Inquiries waiting for an answer", "2"]
    assert inquiries[2].startswith(f"URGENT {day['urgent'].reference} · Personal guidance")
    assert "PRO-DASH01 · Kliniek Noord" in panels["panel-proposals"]
    assert "panel-stripe-events" not in panels  # a coordinator does not read Stripe's events
    path = screenshot(browser, "admin-dashboard")
    assert path.stat().st_size > 10_000

    browser.find_element(By.LINK_TEXT, next(iter(_inquiry_links(browser)))).click()

    WebDriverWait(browser, WAIT).until(EC.url_contains(f"/inquiry/{day['urgent'].pk}/change/"))
    assert day["urgent"].reference in browser.find_element(By.ID, "content").text


def _inquiry_links(browser: WebDriver) -> list[str]:
    return [link.text for link in browser.find_elements(By.CSS_SELECTOR, "#panel-inquiries li a")]


def test_a_coordinator_marks_attendance_on_the_roster(browser, live_server):
    session = SessionFactory.create(title="Holding space")
    ada, bo = (
        ParticipantFactory.create(enrollment=EnrollmentFactory.create(session=session), name=name)
        for name in ("Ada Vos", "Bo Smit")
    )
    sign_in(browser, live_server.url, COORDINATOR)
    browser.get(f"{live_server.url}/admin/workshops/session/")
    browser.find_element(By.LINK_TEXT, "roster and attendance").click()
    WebDriverWait(browser, WAIT).until(EC.presence_of_element_located((By.ID, "roster")))

    browser.find_element(By.CSS_SELECTOR, f"#participant-{ada.pk} [value=present]").click()
    browser.find_element(By.CSS_SELECTOR, f"#participant-{bo.pk} [value=partial]").click()
    browser.find_element(By.NAME, f"minutes_{bo.pk}").send_keys("75")
    screenshot(browser, "admin-roster")
    browser.find_element(By.CSS_SELECTOR, "#roster-form [type=submit]").click()

    WebDriverWait(browser, WAIT).until(
        EC.text_to_be_present_in_element((By.CSS_SELECTOR, ".messagelist"), "Attendance kept")
    )
    summary = browser.find_element(By.ID, "roster-summary").text
    assert "1 present, 1 part of the session, 0 absent" in summary
    ada.refresh_from_db()
    bo.refresh_from_db()
    assert (ada.attendance, bo.attendance, bo.minutes_attended) == ("present", "partial", 75)
    checked = browser.find_element(By.CSS_SELECTOR, f"#participant-{bo.pk} [value=partial]")
    assert checked.is_selected()  # the page shows what was kept


def test_a_coordinator_books_a_caller_by_phone_and_the_payment_link_is_emailed(
    browser, live_server, eager_tasks, smtp_sink
):
    session = SessionFactory.create(title="Holding space", capacity=4)
    sign_in(browser, live_server.url, COORDINATOR)
    browser.get(f"{live_server.url}/admin/enrollments/enrollment/")
    browser.find_element(By.LINK_TEXT, "BOOK BY HAND").click()
    WebDriverWait(browser, WAIT).until(EC.presence_of_element_located((By.ID, "by-hand-form")))

    Select(browser.find_element(By.NAME, "session")).select_by_value(str(session.pk))
    browser.find_element(By.CSS_SELECTOR, "[name=way][value=payment_link]").click()
    browser.find_element(By.NAME, "name").send_keys("Ada Vos")
    browser.find_element(By.NAME, "email").send_keys("ada@example.org")
    seats = browser.find_element(By.NAME, "seats")
    seats.clear()
    seats.send_keys("2")
    browser.find_element(By.NAME, "participants").send_keys(
        "Ada Vos, ada@example.org\nBo Smit, bo@example.org"
    )
    browser.find_element(By.NAME, "consent").click()
    screenshot(browser, "admin-book-by-hand")
    browser.find_element(By.CSS_SELECTOR, "#by-hand-form [type=submit]").click()

    WebDriverWait(browser, WAIT).until(
        EC.text_to_be_present_in_element((By.CSS_SELECTOR, ".messagelist"), "payment link")
    )
    booking = Enrollment.objects.get()
    assert booking.reference in browser.find_element(By.CSS_SELECTOR, ".messagelist").text
    assert (booking.status, booking.seats, booking.by_hand) == ("offered", 2, True)
    wait_until(lambda: len(smtp_sink.messages) == 1, 15)
    [message] = smtp_sink.messages
    assert message["To"] == "ada@example.org"
    assert message["Subject"] == "Your booking, as we discussed: Holding space"
    assert f"/enrollments/{booking.token}/" in message.get_body(("plain",)).get_content()


def test_a_coordinator_reads_results_by_month_offering_and_facilitator(browser, live_server):
    ada = FacilitatorFactory.create(name="Ada Verhoeven")
    offering = OfferingFactory.create(title="Holding space", facilitators=[ada])
    for months_ago, scores in ((2, (5, 4)), (1, (3, 4, 5))):
        session = SessionFactory.create(
            offering=offering, starts_at=timezone.now() - timedelta(days=30 * months_ago)
        )
        for score in scores:
            invitation = SurveyInvitationFactory.create(
                participant__enrollment__session=session, session=session
            )
            survey_submit(
                invitation_id=invitation.pk,
                answers={"overall": score, "felt_heard": 5, "recommend": 9},
            )
    sign_in(browser, live_server.url, COORDINATOR)

    browser.get(f"{live_server.url}/admin/surveys/surveyinvitation/results/")

    content = browser.find_element(By.ID, "content").text
    for heading in ("By month", "By offering", "By facilitator"):
        assert heading in content
    chart = browser.find_element(By.CSS_SELECTOR, "svg.bar-chart")
    assert "Average rating by month" in chart.get_attribute("aria-label")
    assert chart.size["height"] > 20
    axe_check(browser)
    screenshot(browser, "admin-survey-results")
    browser.find_element(By.LINK_TEXT, "Ada Verhoeven").click()
    WebDriverWait(browser, WAIT).until(EC.url_contains(f"facilitator={ada.pk}"))
    assert "Survey results: Ada Verhoeven" in browser.title
