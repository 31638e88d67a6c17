"""Staff sign-in: limited per client address and per (username, address), counted atomically;
a second factor; sessions that end; passwords that are not easy to guess."""

import threading
from datetime import timedelta
from http import HTTPStatus

import pytest
import requests
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from config.admin_site import _sign_in_keys

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"


@pytest.fixture
def behind_a_proxy(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    settings.ADMIN_LOGIN_ATTEMPTS = 3
    settings.ADMIN_LOGIN_ATTEMPTS_PER_ADDRESS = 6


@pytest.fixture
def lead():
    return get_user_model().objects.create_superuser("lead", "lead@example.org", "right-password")


def sign_in(client, *, address: str, username: str = "lead", password: str = "wrong", **more):
    return client.post(
        LOGIN,
        {"username": username, "password": password, **more},
        HTTP_X_FORWARDED_FOR=address,
    )


@pytest.mark.usefixtures("behind_a_proxy", "lead")
def test_failures_from_one_address_do_not_lock_out_another(client):
    for _ in range(3):
        sign_in(client, address="203.0.113.9")

    blocked = sign_in(client, address="203.0.113.9", password="right-password")
    elsewhere = sign_in(client, address="198.51.100.4", password="right-password")

    assert blocked.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert elsewhere.status_code == HTTPStatus.FOUND  # signed in


@pytest.mark.usefixtures("behind_a_proxy", "lead")
def test_guessing_one_username_does_not_lock_it_out_from_elsewhere(client):
    for _ in range(5):
        sign_in(client, address="203.0.113.9", username="lead")

    # The practice lead, from the practice's own address, is not locked out by it.
    assert sign_in(client, address="192.0.2.1", password="right-password").status_code == 302


@pytest.mark.usefixtures("behind_a_proxy", "lead")
def test_many_usernames_from_one_address_are_limited_too(client):
    for number in range(6):
        sign_in(client, address="203.0.113.9", username=f"staff{number}")

    assert sign_in(client, address="203.0.113.9").status_code == HTTPStatus.TOO_MANY_REQUESTS


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_twenty_wrong_guesses_at_once_are_each_counted(live_server, settings, rf):
    settings.ADMIN_LOGIN_ATTEMPTS = 1000  # none refused: each must still be counted
    get_user_model().objects.create_superuser("lead", "lead@example.org", "right-password")
    session = requests.Session()
    form = session.get(f"{live_server.url}{LOGIN}", timeout=10)
    token = str(form.cookies["csrftoken"])
    start = threading.Barrier(20)

    def guess() -> None:
        start.wait(timeout=10)
        requests.post(
            f"{live_server.url}{LOGIN}",
            data={"username": "lead", "password": "wrong", "csrfmiddlewaretoken": token},
            cookies={"csrftoken": token},
            timeout=30,
        )

    threads = [threading.Thread(target=guess) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    request = rf.post(LOGIN, {"username": "lead"}, REMOTE_ADDR="127.0.0.1")
    by_address, by_pair = _sign_in_keys(request)
    assert cache.get(by_pair) == 20
    assert cache.get(by_address) == 20


def test_a_staff_member_with_a_second_factor_must_give_it(client, lead):
    device = TOTPDevice.objects.create(user=lead, name="phone", confirmed=True)
    password = {"username": "lead", "password": "right-password"}

    without = client.post(LOGIN, password)
    signed_in_without = "_auth_user_id" in client.session
    wrong = client.post(
        LOGIN, {**password, "otp_device": device.persistent_id, "otp_token": "000000"}
    )
    signed_in_wrong = "_auth_user_id" in client.session
    device.refresh_from_db()
    device.throttle_reset()  # django-otp makes one wait a little after a wrong code
    right = client.post(
        LOGIN,
        {
            **password,
            "otp_device": device.persistent_id,
            "otp_token": f"{totp(device.bin_key):06d}",
        },
    )

    assert (without.status_code, signed_in_without) == (HTTPStatus.OK, False)
    assert "Please enter your OTP token" in without.content.decode()
    assert (wrong.status_code, signed_in_wrong) == (HTTPStatus.OK, False)
    assert right.status_code == HTTPStatus.FOUND
    assert client.get("/admin/").status_code == HTTPStatus.OK


def test_with_2fa_required_no_one_enters_without_it(client, lead, settings):
    settings.ADMIN_REQUIRE_2FA = True

    refused = client.post(LOGIN, {"username": "lead", "password": "right-password"})
    client.force_login(lead)  # a password alone, however it was given

    assert refused.status_code == HTTPStatus.OK
    assert client.get("/admin/").status_code == HTTPStatus.FOUND  # back to sign in


def test_without_2fa_required_a_password_still_suffices_for_staff_without_a_device(client, lead):
    assert client.post(LOGIN, {"username": "lead", "password": "right-password"}).status_code == 302
    assert client.get("/admin/").status_code == HTTPStatus.OK


def test_staff_sessions_end_after_the_set_hours_and_with_the_browser(client, lead, settings):
    response = client.post(LOGIN, {"username": "lead", "password": "right-password"})

    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["max-age"] == ""  # a browser-session cookie: gone when the browser closes
    assert client.session.get_expiry_age() == settings.ADMIN_SESSION_HOURS * 3600 == 8 * 3600


@pytest.mark.parametrize(
    "password", ["short1", "password1234", "12345678901234", "lead@example.org"]
)
def test_easy_passwords_are_refused(lead, password):
    with pytest.raises(ValidationError):
        validate_password(password, user=lead)


def test_a_good_password_is_taken(lead):
    validate_password("tea kettle under a quiet moon", user=lead)


def test_a_staff_session_ends_after_the_set_hours(client, lead, settings):
    with time_machine.travel("2026-12-01 09:00Z") as clock:
        client.post(LOGIN, {"username": "lead", "password": "right-password"})
        clock.shift(timedelta(hours=settings.ADMIN_SESSION_HOURS) - timedelta(minutes=1))
        still_in = client.get("/admin/")
        clock.shift(timedelta(minutes=2))
        after = client.get("/admin/")

    assert still_in.status_code == HTTPStatus.OK
    assert after.status_code == HTTPStatus.FOUND  # to sign in again
    assert after["Location"].startswith(LOGIN)
