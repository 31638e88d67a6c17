"""Stand-ins for what cannot run here as it does in production, shared by the integration
and browser tests: localstripe (Stripe), and a way to wait for what happens elsewhere."""

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
import stripe


@dataclass
class LocalStripe:
    base: str
    secret_key: str = "sk_test_localstripe"
    publishable_key: str = "pk_test_localstripe"
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
    settings.STRIPE_PUBLISHABLE_KEY = stand_in.publishable_key
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
