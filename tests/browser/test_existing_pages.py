"""The pages people reach today, walked as a person would: opened, read, used by keyboard,
and checked by axe for WCAG 2.1 AA."""

import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.wait import WebDriverWait

from enrollments.models import Enrollment
from tests.browser.conftest import axe_check, press, tab_to
from tests.factories import EnrollmentFactory, SurveyInvitationFactory

WAIT = 10  # seconds; an answer from the live server takes a fraction of one


def test_the_booking_page_shows_the_reference_and_passes_axe(browser, live_server):
    booking = EnrollmentFactory.create()

    browser.get(f"{live_server.url}/enrollments/{booking.token}/")

    assert booking.reference in browser.find_element(By.TAG_NAME, "main").text
    axe_check(browser)


def test_a_booking_can_be_cancelled_by_keyboard_alone(browser, live_server):
    booking = EnrollmentFactory.create()
    browser.get(f"{live_server.url}/enrollments/{booking.token}/")
    confirm = browser.find_element(By.NAME, "confirm")
    cancel = browser.find_element(By.CSS_SELECTOR, "form[action$='/cancel/'] [type=submit]")

    tab_to(browser, confirm)
    press(browser, Keys.SPACE)
    assert confirm.is_selected()
    tab_to(browser, cancel)
    press(browser, Keys.ENTER)

    WebDriverWait(browser, WAIT).until(EC.staleness_of(cancel))
    booking.refresh_from_db()
    assert booking.status == Enrollment.Status.CANCELLED
    assert "cancelled" in browser.find_element(By.CSS_SELECTOR, "[role=status]").text
    assert not browser.find_elements(By.NAME, "confirm")


def test_the_survey_page_passes_axe(browser, live_server):
    invitation = SurveyInvitationFactory.create()

    browser.get(f"{live_server.url}/surveys/{invitation.token}/")

    assert browser.find_elements(By.CSS_SELECTOR, "form [type=submit]")
    axe_check(browser)


def test_the_admin_sign_in_page_passes_axe(browser, live_server):
    browser.get(f"{live_server.url}/admin/login/")

    assert browser.find_element(By.NAME, "username")
    axe_check(browser)


def test_browser_in_asks_for_pages_in_the_language_given(browser_in):
    # The harness itself: pages choose their language from Accept-Language, so the header
    # is read where it arrives, on a bare server of the test's own.
    heard: list[str | None] = []

    class Listener(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            heard.append(self.headers.get("Accept-Language"))
            self.send_response(HTTPStatus.NO_CONTENT)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    with ThreadingHTTPServer(("127.0.0.1", 0), Listener) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            for language in ("nl", "en"):
                browser_in(language).get(f"http://127.0.0.1:{server.server_port}/")
        finally:
            server.shutdown()

    assert heard == ["nl", "en"]
