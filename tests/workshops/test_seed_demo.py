from http import HTTPStatus

import pytest
from django.core.management import call_command
from django.forms.models import model_to_dict

from workshops.models import Facilitator, Offering, Session, Topic

pytestmark = pytest.mark.django_db


def snapshot() -> dict[str, object]:
    return {
        model.__name__: [
            model_to_dict(row) | {"pk": row.pk} for row in model.objects.order_by("pk")
        ]
        for model in (Topic, Facilitator, Offering, Session)
    } | {"updated": [str(o.updated_at) for o in Offering.objects.order_by("pk")]}


def test_seed_demo_twice_changes_nothing():
    call_command("seed_demo")
    first = snapshot()

    call_command("seed_demo")

    assert snapshot() == first


def test_seed_demo_builds_a_catalog_with_upcoming_sessions(api):
    call_command("seed_demo")

    offerings = api.get("/api/v1/offerings/").json()
    upcoming = api.get("/api/v1/offerings/?upcoming=true").json()

    assert offerings["count"] == 5
    assert {o["kind"] for o in offerings["results"]} == {"workshop", "team_training", "coaching"}
    assert upcoming["count"] == 4
    assert "unconditional-positive-regard-in-practice" in {o["slug"] for o in offerings["results"]}
    # The private team training for one clinic exists but is never listed.
    assert Session.objects.filter(is_public=False).count() == 1
    sessions = api.get("/api/v1/sessions/?page_size=100").json()
    assert sessions["count"] == Session.objects.filter(is_public=True).count()
    assert api.get("/api/v1/offerings/nonjudgmental-care-teams/").status_code == HTTPStatus.OK
