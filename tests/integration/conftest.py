import shutil
import signal
import subprocess
from collections.abc import Iterator

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.core.servers.basehttp import ThreadedWSGIServer

from config.celery import app as celery_app
from tests.conftest import free_port
from tests.stand_ins import wait_until

# pytest-django's live server listens with socketserver's backlog of a handful of
# connections; the concurrency tests open fifty at once, as a popular workshop would.
ThreadedWSGIServer.request_queue_size = 128


@pytest.fixture
def celery_worker(transactional_db: None) -> Iterator[None]:
    """A real Celery worker on the configured broker (Redis), in a thread of this process."""
    celery_app.control.purge()  # tasks other tests left behind would only add noise
    with start_worker(
        celery_app, pool="solo", perform_ping_check=False, loglevel="WARNING", shutdown_timeout=10
    ):
        yield


class OwnRedis:
    """A Redis server of the test's own on a spare port; never the machine's shared one.
    Called with True or False it is up or stopped; `hang()` stops its process (SIGSTOP),
    so it takes connections and never answers."""

    def __init__(self) -> None:
        server = shutil.which("redis-server")
        assert server, "redis-server is needed for the fault tests"
        self.server = server
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None
        self.hung = False

    def __call__(self, up: bool) -> None:
        if up and self.process is None:
            self.process = subprocess.Popen(
                [
                    *(self.server, "--port", str(self.port), "--bind", "127.0.0.1"),
                    *("--save", "", "--appendonly", "no"),
                ],
                stdout=subprocess.DEVNULL,
            )
            wait_until(lambda: pings(self.url), 10)
        elif not up and self.process is not None:
            self.resume()
            self.process.terminate()
            self.process.wait(10)
            self.process = None

    def hang(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)
        self.hung = True

    def resume(self) -> None:
        if self.hung and self.process is not None:
            self.process.send_signal(signal.SIGCONT)
            self.hung = False


def pings(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def own_redis(broker_at) -> Iterator[OwnRedis]:
    """Celery's broker on a Redis of the test's own (see OwnRedis)."""
    own = OwnRedis()
    broker_at(own.url)
    try:
        yield own
    finally:
        own(False)
