"""Liveness and readiness for process supervisors and load balancers."""

import logging
from http import HTTPStatus

from django.db import connection
from django.http import HttpRequest, JsonResponse

from config.celery import app as celery_app

logger = logging.getLogger(__name__)


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def _database_answers() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        logger.exception("readiness: the database does not answer")
        return False


def _broker_answers() -> bool:
    try:
        with celery_app.connection_for_write() as broker:
            broker.ensure_connection(max_retries=1, timeout=3)
            return True
    except Exception:
        logger.exception("readiness: the broker does not answer")
        return False


def readyz(request: HttpRequest) -> JsonResponse:
    checks = {
        "database": "ok" if _database_answers() else "unavailable",
        "broker": "ok" if _broker_answers() else "unavailable",
    }
    ready = all(state == "ok" for state in checks.values())
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks},
        status=HTTPStatus.OK if ready else HTTPStatus.SERVICE_UNAVAILABLE,
    )
