import asyncio
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import redis
import requests
import stripe
from celery.contrib.testing.worker import start_worker
from django.core.servers.basehttp import ThreadedWSGIServer

from config.celery import app as celery_app
from tests.conftest import free_port

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


@dataclass
class LocalStripe:
    base: str
    secret_key: str = "sk_test_localstripe"
    webhook_secret: str = "whsec_localstripe"

    def client(self) -> stripe.StripeClient:
        return stripe.StripeClient(self.secret_key, base_addresses={"api": self.base})

    def deliver_webhooks_to(self, url: str) -> None:
        """Register a receiver; localstripe signs each event with the secret."""
        response = requests.post(
            f"{self.base}/_config/webhooks/regard",
            data={"url": url, "secret": self.webhook_secret},
            timeout=5,
        )
        response.raise_for_status()


def _start_localstripe() -> tuple[str, Callable[[], None]]:
    """localstripe's aiohttp app on loopback in a thread, with its pickling to disk turned off."""
    from aiohttp import web
    from localstripe import server
    from localstripe.resources import Store

    Store.dump_to_disk = lambda self: None
    Store.try_load_from_disk = lambda self: None
    # A fresh Application per start: localstripe's module-level one binds to its first loop.
    app = web.Application(
        middlewares=[server.error_middleware, server.auth_middleware, server.save_store_middleware]
    )
    app.on_response_prepare.append(server.add_cors_headers)
    for route in server.app.router.routes():
        app.router.add_route(route.method, route.resource.canonical, route.handler)

    started = threading.Event()
    state: dict[str, Any] = {}

    def serve() -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        runner = web.AppRunner(app, access_log=None)
        loop.run_until_complete(runner.setup())
        loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", 0).start())
        state.update(loop=loop, runner=runner, port=runner.addresses[0][1])
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, name="localstripe", daemon=True)
    thread.start()
    assert started.wait(10), "localstripe did not start"

    def stop() -> None:
        loop = state["loop"]
        asyncio.run_coroutine_threadsafe(state["runner"].cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)

    return f"http://127.0.0.1:{state['port']}", stop


@pytest.fixture(scope="session")
def localstripe_server() -> Iterator[str]:
    base, stop = _start_localstripe()
    yield base
    stop()


@pytest.fixture
def localstripe(localstripe_server: str, settings: Any) -> LocalStripe:
    """Stripe, as far as the app can tell: the official library against localstripe."""
    stand_in = LocalStripe(base=localstripe_server)
    settings.STRIPE_SECRET_KEY = stand_in.secret_key
    settings.STRIPE_API_BASE = stand_in.base
    settings.STRIPE_WEBHOOK_SECRET = stand_in.webhook_secret
    settings.PAYMENT_FLOW = "payment_intent"
    return stand_in


def wait_until(condition: Callable[[], bool], seconds: float = 20) -> None:
    """Poll for an outcome another thread or process produces; fail after `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting after {seconds} s")
        time.sleep(0.05)


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
