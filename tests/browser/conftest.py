"""A real browser for the public pages and the admin: Debian's Chromium, driven by Selenium.

How a browser test reads (every test in this folder is marked `browser` automatically):

    def test_the_booking_can_be_cancelled_by_keyboard(browser, live_server):
        browser.get(f"{live_server.url}/enrollments/{booking.token}/")
        axe_check(browser)
        tab_to(browser, browser.find_element(By.NAME, "confirm"))
        press(browser, Keys.SPACE)

`browser` is a Chromium whose Accept-Language is English; `browser_in("nl")` gives one that
asks for Dutch. The pages are served by pytest-django's `live_server` (the same server class
tests/integration tunes for its rushes; one browser needs no more), so each test runs on a
transactional database and its rows are there for the page to read. Nothing is fetched from
the internet: the driver and browser are Debian's, axe-core is read from node_modules.
"""

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connections
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement

from tests.conftest import CHROMEDRIVER, CHROMIUM

PROJECT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
AXE_SCRIPT = PROJECT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = PROJECT / "var" / "screenshots"

# WCAG 2.1 A and AA, as DESIGN.md promises for the public pages.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING_IMPACTS = {"serious", "critical"}
# Enough for any page we serve; a longer walk means focus is lost or trapped.
MAX_TABS = 60

# Without the background-networking flags Chromium keeps calling Google's hosts, which this
# machine's closed network refuses (slowly, many at a time).
CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",  # CI runs as root
    "--disable-dev-shm-usage",
    "--window-size=1280,900",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--disable-quic",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # The hook sees the whole session's items: mark only this folder's.
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.browser)


_OUTCOME = pytest.StashKey[dict[str, pytest.TestReport]]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    # Kept so the browser's teardown knows whether to leave a screenshot behind.
    report = yield
    item.stash.setdefault(_OUTCOME, {})[report.when] = report
    return report


def start_chromium(language: str) -> WebDriver:
    """Headless Chromium asking for pages in `language` (an Accept-Language value)."""
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    # --lang sets the interface language; the pref is what Accept-Language is built from.
    options.add_argument(f"--lang={language}")
    options.add_experimental_option("prefs", {"intl.accept_languages": language})
    # A path given here keeps Selenium Manager (which would download a driver) out of it.
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(20)
    driver.set_script_timeout(20)
    return driver


def _alive(driver: WebDriver) -> bool:
    try:
        driver.current_url  # noqa: B018 (any round trip tells)
    except WebDriverException:
        return False
    return True


@pytest.fixture(scope="session")
def _chromiums() -> Iterator[dict[str, WebDriver]]:
    """One Chromium per language for the whole session: starting one costs about a second."""
    started: dict[str, WebDriver] = {}
    yield started
    for driver in started.values():
        driver.quit()


@pytest.fixture
def _no_idle_database_connections() -> Iterator[None]:
    """Chromium keeps its connections to the live server open between pages, and each keeps
    a server thread waiting, with the database connection that thread opened (CONN_MAX_AGE).
    That connection would outlast the test and hold up the dropping of the test database;
    closed after each request, it never does."""
    databases = [connections[alias].settings_dict for alias in connections]
    kept = [database["CONN_MAX_AGE"] for database in databases]
    for database in databases:
        database["CONN_MAX_AGE"] = 0
    yield
    for database, max_age in zip(databases, kept, strict=True):
        database["CONN_MAX_AGE"] = max_age


@pytest.fixture
def browser_in(
    request: pytest.FixtureRequest,
    live_server: Any,
    _no_idle_database_connections: None,
    _chromiums: dict[str, WebDriver],
) -> Iterator[Callable[[str], WebDriver]]:
    """`browser_in("nl")`: a browser whose Accept-Language is `nl`, with no cookies yet."""
    handed_out: dict[str, WebDriver] = {}

    def open_in(language: str) -> WebDriver:
        driver = _chromiums.get(language)
        if driver is None or not _alive(driver):
            driver = _chromiums[language] = start_chromium(language)
        if language not in handed_out:
            # Cookies of every site, not only the open page's: each test starts signed out.
            driver.execute_cdp_cmd("Network.clearBrowserCookies", {})
            driver.get("about:blank")
            handed_out[language] = driver
        return driver

    yield open_in

    outcome = request.node.stash.get(_OUTCOME, {})
    failed = any(report.failed for report in outcome.values())
    for language, driver in handed_out.items():
        if failed and _alive(driver):
            screenshot(driver, f"{_file_name(request.node.nodeid)}-{language}")
        # Off the live server, so no request of this test's page meets the next test's flush.
        if _alive(driver):
            driver.get("about:blank")


@pytest.fixture
def browser(browser_in: Callable[[str], WebDriver]) -> WebDriver:
    """A browser asking for English pages."""
    return browser_in("en")


def _file_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")


def screenshot(driver: WebDriver, name: str) -> Path:
    """The window as var/screenshots/{name}.png (also left there by any failing test)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    if not driver.save_screenshot(str(path)):
        raise AssertionError(f"Chromium took no screenshot for {path}")
    return path


# A stylesheet that answered 404 still gets an (empty) sheet: its answer's status tells.
_UNLOADED_STYLESHEETS = """
const failed = new Set(performance.getEntriesByType('resource')
  .filter((entry) => entry.responseStatus >= 400).map((entry) => entry.name));
return [...document.querySelectorAll('link[rel~="stylesheet"]')]
  .filter((link) => !link.sheet || failed.has(link.href)).map((link) => link.href);
"""
# Runs inside the page. Only what the failure message needs crosses back.
_RUN_AXE = """
const done = arguments[arguments.length - 1];
axe.run({exclude: arguments[1]}, {runOnly: arguments[0]}).then(
  (results) => done({violations: results.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map((n) => ({target: n.target, html: n.html, summary: n.failureSummary})),
  }))}),
  (error) => done({error: String(error)}),
);
"""


def axe_check(driver: WebDriver, *, exclude: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """Fails the test on any serious or critical WCAG 2.1 A/AA violation on the open page;
    returns every violation axe found (minor and moderate ones included) for a closer look.
    `exclude` names CSS selectors of what is not ours to judge (Stripe's card form)."""
    # Colour contrast judged without the page's own styles would be judged on nothing.
    unloaded = driver.execute_script(_UNLOADED_STYLESHEETS)
    if unloaded:
        pytest.fail(
            f"{driver.current_url} is missing stylesheets, so axe cannot judge it: {unloaded}",
            pytrace=False,
        )
    if not AXE_SCRIPT.is_file():
        pytest.fail(f"axe-core is not installed ({AXE_SCRIPT} is missing): run `make install`")
    if not driver.execute_script("return typeof window.axe === 'object'"):
        driver.execute_script(AXE_SCRIPT.read_text(encoding="utf-8"))
    answer = driver.execute_async_script(_RUN_AXE, AXE_TAGS, [[selector] for selector in exclude])
    if "error" in answer:
        pytest.fail(f"axe could not check {driver.current_url}: {answer['error']}")
    violations: list[dict[str, Any]] = answer["violations"]
    blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
    if blocking:
        pytest.fail(
            f"axe found {len(blocking)} serious or critical violation(s) on {driver.current_url}:\n"
            + "\n".join(_describe_violation(v) for v in blocking),
            pytrace=False,
        )
    return violations


def _describe_violation(violation: dict[str, Any]) -> str:
    lines = [
        f"- {violation['id']} ({violation['impact']}): {violation['help']} {violation['helpUrl']}"
    ]
    for node in violation["nodes"]:
        lines.append(f"    at {' '.join(map(str, node['target']))}: {node['html']}")
        lines.extend(f"      {line}" for line in (node["summary"] or "").splitlines())
    return "\n".join(lines)


def _describe_element(driver: WebDriver, element: WebElement) -> str:
    return str(
        driver.execute_script(
            """
            const e = arguments[0];
            // A button's value is its label; a field's value is what was typed: never shown.
            const label = ['submit', 'button', 'reset'].includes(e.type) ? e.value : '';
            let text = (e.innerText || label || '').trim().replace(/\\s+/g, ' ').slice(0, 40);
            return e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
              + (e.name ? `[name=${e.name}]` : '') + (text ? ` "${text}"` : '');
            """,
            element,
        )
    )


def press(driver: WebDriver, *keys: str) -> None:
    """Keys pressed on whatever has focus, as a person at the keyboard would."""
    ActionChains(driver).send_keys(*keys).perform()


def type_into_focused(driver: WebDriver, text: str) -> None:
    """Types `text` into the focused field (tab_to it first)."""
    press(driver, text)


def tab_to(driver: WebDriver, element: WebElement, *, max_tabs: int = MAX_TABS) -> None:
    """Presses TAB until `element` has focus; fails with the focus order seen if it never does."""
    seen: list[str] = []
    for _ in range(max_tabs):
        if driver.switch_to.active_element == element:
            return
        press(driver, Keys.TAB)
        seen.append(_describe_element(driver, driver.switch_to.active_element))
    if driver.switch_to.active_element == element:
        return
    pytest.fail(
        f"{_describe_element(driver, element)} never had focus after {max_tabs} presses of TAB;"
        " focus went to:\n" + "\n".join(f"  {n}. {step}" for n, step in enumerate(seen, 1)),
        pytrace=False,
    )
