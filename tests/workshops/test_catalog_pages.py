"""The catalog's public pages: what the practice offers, and each offering's dates."""

from datetime import timedelta
from http import HTTPStatus
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from tests.factories import EnrollmentFactory, OfferingFactory, SessionFactory

pytestmark = pytest.mark.django_db


def test_the_home_page_lists_published_offerings_by_kind_with_their_next_date(client):
    soon = SessionFactory.create(
        offering__title="Burnout and Recovery", starts_at=timezone.now() + timedelta(days=5)
    )
    OfferingFactory.create(title="One to One", kind="coaching")
    OfferingFactory.create(title="Hidden Draft", is_published=False)

    page = client.get("/").content.decode()

    assert "Burnout and Recovery" in page
    assert "One to One" in page
    assert "Hidden Draft" not in page
    assert page.index("Workshop") < page.index("Burnout and Recovery") < page.index("One to One")
    local = timezone.localtime(soon.starts_at, ZoneInfo(soon.timezone))  # as the page says it
    assert f"Next on {local:%-d %B %Y}" in page
    assert f'href="/offerings/{soon.offering.slug}/"' in page


def test_an_offering_page_shows_each_date_with_seats_left_and_the_way_to_book(client):
    open_one = SessionFactory.create(capacity=3, starts_at=timezone.now() + timedelta(days=9))
    EnrollmentFactory.create(session=open_one, seats=2)
    full = SessionFactory.create(
        offering=open_one.offering, capacity=1, starts_at=timezone.now() + timedelta(days=20)
    )
    EnrollmentFactory.create(session=full)
    SessionFactory.create(offering=open_one.offering, is_public=False, organization="Acme")

    page = client.get(f"/offerings/{open_one.offering.slug}/").content.decode()

    assert "1 seat left" in page
    assert "Fully booked" in page
    assert page.count('class="sessions"') == 1
    assert page.count("<h3>") == 2
    assert f'href="/sessions/{open_one.pk}/book/">Book a seat' in page
    assert f'href="/sessions/{full.pk}/book/">Join the waitlist' in page


def test_an_unknown_or_unpublished_offering_is_a_kind_404(client):
    hidden = OfferingFactory.create(is_published=False)

    for slug in ("nothing-here", hidden.slug):
        response = client.get(f"/offerings/{slug}/")
        assert response.status_code == HTTPStatus.NOT_FOUND
        assert "We couldn't find this page" in response.content.decode()


def test_every_page_links_the_privacy_notice_and_it_states_the_retention(client, settings):
    settings.PERSONAL_DATA_RETENTION_DAYS = 730

    assert 'href="/privacy/"' in client.get("/").content.decode()
    notice = client.get("/privacy/").content.decode()
    assert "24 months after we last had contact" in notice


def test_a_practice_with_its_own_privacy_notice_links_to_it(client, settings):
    settings.PRIVACY_POLICY_URL = "https://practice.example.org/privacy"

    assert 'href="https://practice.example.org/privacy"' in client.get("/contact/").content.decode()
