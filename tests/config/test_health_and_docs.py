import json
import os
import re
import subprocess
import sys
from http import HTTPStatus

import pytest
from django.conf import settings

from tests.conftest import DEAD_BROKER

pytestmark = pytest.mark.django_db


def test_healthz_answers_while_the_process_is_up(client):
    response = client.get("/healthz")

    assert response.status_code == HTTPStatus.OK
    assert response.json() == {"status": "ok"}


def test_readyz_reports_database_and_broker(client):
    response = client.get("/readyz")

    assert response.status_code == HTTPStatus.OK
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "broker": "ok"}}


def test_readyz_is_unavailable_when_the_broker_does_not_answer(client, broker_at):
    broker_at(DEAD_BROKER)

    response = client.get("/readyz")

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response.json()["checks"] == {"database": "ok", "broker": "unavailable"}


def test_schema_documents_the_error_shape_for_every_operation(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == HTTPStatus.OK
    schema = json.loads(response.content)
    assert "ErrorOutput" in schema["components"]["schemas"]
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert "default" in operation["responses"], f"{method} {path}"
    session_filters = schema["paths"]["/api/v1/sessions/"]["get"]["responses"]
    assert {"200", "400", "404"} <= set(session_filters)


def test_api_docs_render_from_local_files_only(client):
    response = client.get("/api/docs/")

    assert response.status_code == HTTPStatus.OK
    page = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert assets, "the docs page loads its assets"
    for asset in assets:
        assert not asset.startswith(("http:", "https:", "//")), asset
        assert client.get(asset).status_code == HTTPStatus.OK, asset


def _settings_import(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    return subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; print(settings.SECRET_KEY)"],
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = _settings_import()

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is required" in result.stderr


def test_development_starts_without_a_secret_key():
    result = _settings_import(DJANGO_DEBUG="true")

    assert result.returncode == 0, result.stderr
