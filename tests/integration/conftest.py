from collections.abc import Iterator

import pytest
from celery.contrib.testing.worker import start_worker

from config.celery import app as celery_app


@pytest.fixture
def celery_worker(transactional_db: None) -> Iterator[None]:
    """A real Celery worker on the configured broker (Redis), in a thread of this process."""
    celery_app.control.purge()  # tasks other tests left behind would only add noise
    with start_worker(
        celery_app, pool="solo", perform_ping_check=False, loglevel="WARNING", shutdown_timeout=10
    ):
        yield
