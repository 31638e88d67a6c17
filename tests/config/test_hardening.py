import json
import logging
import os
import subprocess
import sys
from http import HTTPStatus
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model

from config.logs import JsonFormatter, redact, scrub_sentry_event

pytestmark = pytest.mark.django_db

PRODUCTION = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "q7+0x2n!v$k3_t9r@w5m#p8z&c1b^e6y*u4i(o2a)s9d-f3g=h7j",
    "DJANGO_ALLOWED_HOSTS": "book.example.org",
}


def test_deploy_checks_are_clean_with_production_settings():
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env={**env, **PRODUCTION},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [("https://book.example.org", True), ("https://elsewhere.example.com", False)],
)
def test_browsers_may_call_the_api_only_from_configured_origins(client, settings, origin, allowed):
    settings.CORS_ALLOWED_ORIGINS = ["https://book.example.org"]

    response = client.options(
        "/api/v1/enrollments/",
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type, idempotency-key",
    )

    assert (response.get("Access-Control-Allow-Origin") == origin) is allowed
    if allowed:
        assert "idempotency-key" in response["Access-Control-Allow-Headers"]


def test_admin_sign_in_is_paused_after_repeated_failures(client, settings):
    settings.ADMIN_LOGIN_ATTEMPTS = 3
    get_user_model().objects.create_superuser("admin", "admin@example.org", "right-password")

    statuses = [
        client.post("/admin/login/", {"username": "admin", "password": "wrong"}).status_code
        for _ in range(3)
    ]
    blocked = client.post("/admin/login/", {"username": "admin", "password": "right-password"})

    assert statuses == [HTTPStatus.OK] * 3  # the form again, with its error
    assert blocked.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert int(blocked["Retry-After"]) > 0
    assert "_auth_user_id" not in client.session


def test_a_good_sign_in_clears_the_count(client, settings):
    settings.ADMIN_LOGIN_ATTEMPTS = 2
    get_user_model().objects.create_superuser("admin", "admin@example.org", "right-password")
    client.post("/admin/login/", {"username": "admin", "password": "wrong"})

    ok = client.post("/admin/login/", {"username": "admin", "password": "right-password"})

    assert ok.status_code == HTTPStatus.FOUND


def test_every_response_carries_a_request_id(client):
    mine = client.get("/healthz", HTTP_X_REQUEST_ID="abc-123")
    fresh = client.get("/healthz", HTTP_X_REQUEST_ID="bad id with spaces")

    assert mine["X-Request-ID"] == "abc-123"
    assert fresh["X-Request-ID"] != "bad id with spaces"
    assert len(fresh["X-Request-ID"]) == 32


def test_access_lines_name_the_route_never_the_secret_link(client, caplog):
    token = "Zx9" * 14 + "q"  # as long as a real one

    with caplog.at_level(logging.INFO, logger="regard.access"):
        client.get(f"/api/v1/enrollments/{token}/")

    [line] = [r for r in caplog.records if r.name == "regard.access"]
    formatted = JsonFormatter().format(line)
    entry = json.loads(formatted)
    assert entry["route"] == "api/v1/enrollments/<str:token>/"
    assert entry["status"] == HTTPStatus.NOT_FOUND
    assert token not in formatted


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Not Found: /enrollments/" + "a" * 43 + "/", "Not Found: /enrollments/[secret]/"),
        ("550 rejected <ada.l@example.org>", "550 rejected <[email]>"),
        ("mail 12 (inquiry_acknowledgement) sent", "mail 12 (inquiry_acknowledgement) sent"),
        (
            'violates check constraint "x"\nDETAIL:  Failing row contains (7, I feel lost, 3).',
            'violates check constraint "x"\nDETAIL:  Failing row contains (withheld).',
        ),
    ],
)
def test_log_messages_are_redacted(text, expected):
    assert redact(text) == expected


def test_error_reports_carry_no_bodies_or_secrets():
    event = {
        "request": {
            "url": "https://book.example.org/surveys/" + "b" * 43 + "/",
            "data": {"message": "I have been struggling"},
            "cookies": {"sessionid": "x"},
            "query_string": "email=ada@example.org",
        },
        "exception": {"values": [{"value": "bad address ada@example.org"}]},
    }

    scrubbed = scrub_sentry_event(event, {})

    assert "data" not in scrubbed["request"]
    assert "cookies" not in scrubbed["request"]
    assert "query_string" not in scrubbed["request"]
    assert "b" * 43 not in scrubbed["request"]["url"]
    assert scrubbed["exception"]["values"][0]["value"] == "bad address [email]"


SECRET = "k" * 43
ADDRESS = "ada@example.org"


def everywhere_in_an_event() -> dict:
    """A Sentry event with an address and a secret link in every field that can carry one."""
    link = f"https://book.example.org/enrollments/{SECRET}/"
    return {
        "message": f"could not write to {ADDRESS} about {link}",
        "logentry": {
            "message": "could not write to %s",
            "params": [ADDRESS, link],
            "formatted": f"could not write to {ADDRESS}",
        },
        "request": {
            "url": link,
            "query_string": f"email={ADDRESS}",
            "data": {"email": ADDRESS},
            "cookies": {"sessionid": SECRET},
            "headers": {
                "Referer": link,
                "Cookie": f"sessionid={SECRET}",
                "Authorization": f"Bearer {SECRET}",
                "User-Agent": f"mail client of {ADDRESS}",
            },
        },
        "breadcrumbs": {
            "values": [
                {"category": "query", "message": f"SELECT 1 WHERE email = '{ADDRESS}'"},
                {"category": "httplib", "data": {"url": link, "reason": ADDRESS}},
            ]
        },
        "exception": {"values": [{"type": "SMTPRecipientsRefused", "value": ADDRESS}]},
        "extra": {"sys.argv": ["manage.py", "erase_person", ADDRESS]},
    }


def transaction_with_spans() -> dict:
    return {
        "type": "transaction",
        "transaction": f"/enrollments/{SECRET}/",
        "request": {"url": f"https://book.example.org/surveys/{SECRET}/"},
        "spans": [{"op": "db", "description": f"the row of {ADDRESS}"}],
    }


@pytest.mark.parametrize("event", [everywhere_in_an_event(), transaction_with_spans()])
def test_no_error_report_or_trace_carries_an_address_or_a_secret_link(event):
    scrubbed = json.dumps(scrub_sentry_event(event, {}))

    assert ADDRESS not in scrubbed
    assert SECRET not in scrubbed
    assert "/enrollments/" in scrubbed  # where it happened is still told


def test_breadcrumbs_are_scrubbed_as_they_are_recorded():
    crumb = {"message": f"sent to {ADDRESS}", "data": {"url": f"/surveys/{SECRET}/"}}

    assert json.dumps(scrub_sentry_event(crumb, {})).count("[") == 2  # [email] and [secret]


def test_sentry_is_given_the_scrubber_for_errors_transactions_and_breadcrumbs():
    source = (Path(__file__).resolve().parents[2] / "config" / "settings.py").read_text()

    for hook in ("before_send=", "before_send_transaction=", "before_breadcrumb="):
        assert f"{hook}scrub_sentry_event" in source


@pytest.mark.parametrize(
    ("detail", "flat"),
    [
        ({"email": ["Enter a valid email address."]}, {"email": ["Enter a valid email address."]}),
        (["Something is off."], {"non_field_errors": ["Something is off."]}),
        (
            {"participants": [{}, {"email": ["Enter a valid email address."]}]},
            {"participants.1.email": ["Enter a valid email address."]},
        ),
        (
            {"participants": {"non_field_errors": ["Expected a list."]}},
            {"participants": ["Expected a list."]},
        ),
        ({"answers": {"overall": ["Choose 1 to 5."]}}, {"answers.overall": ["Choose 1 to 5."]}),
    ],
)
def test_nested_field_errors_come_out_flat(detail, flat):
    from config.errors import flatten_field_errors

    assert flatten_field_errors(detail) == flat
