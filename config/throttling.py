"""The throttles: DRF's scoped rates, each request counted in one atomic step, per client
address (an IPv6 one by its /64) or per secret link; for the API and the pages alike."""

import hashlib
import ipaddress
from types import SimpleNamespace
from typing import Any

from django.http import HttpRequest
from rest_framework import throttling
from rest_framework.request import Request

from config.cache import count_hit, fail_open


def client_address(request: HttpRequest | Request) -> str:
    """The client's address as every limit counts it: behind `DJANGO_NUM_PROXIES` proxies,
    the one the nearest of them was reached from. An IPv6 address counts by its /64, which
    one home, or one who would get round a limit, holds whole."""
    ident = str(throttling.BaseThrottle().get_ident(request))  # type: ignore[arg-type]
    try:
        address = ipaddress.ip_address(ident.strip())
    except ValueError:
        return ident
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


class ScopedRateThrottle(throttling.ScopedRateThrottle):
    """DRF's `ScopedRateThrottle` (same scopes, rates and keys), counted with `count_hit`.

    DRF's own reads the client's history of requests and writes it back: two round trips
    to Redis per request, and requests from one client arriving together all read the
    same history, so all of them pass. Here each request adds one to the client's counter
    in a single step. The window is fixed: it opens with the client's first request and
    lasts the rate's period; `Retry-After` says when it closes.
    """

    cache_format = "throttle-count:%(scope)s:%(ident)s"  # not DRF's key: not its format
    seconds_left = 0.0

    def allow_request(self, request: Request, view: Any) -> bool:
        self.scope = getattr(view, self.scope_attr, None)
        if not self.scope:
            return True
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        self.key = self.get_cache_key(request, view)
        if self.num_requests is None or self.duration is None or self.key is None:
            return True
        key, duration = self.key, self.duration
        # With Redis failing, requests are let through uncounted (DESIGN.md invariant 9).
        count, self.seconds_left = fail_open(
            "throttles", lambda: count_hit(key, duration), (0, 0.0)
        )
        return count <= self.num_requests

    def wait(self) -> float:
        return self.seconds_left

    def get_ident(self, request: Request) -> str:
        return client_address(request)


class PerLinkThrottle(ScopedRateThrottle):
    """Counted per secret link (the URL's `token`), from wherever it is used; its scope is
    the view's `link_throttle_scope`."""

    scope_attr = "link_throttle_scope"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        token = getattr(view, "kwargs", {}).get("token")
        if not token:
            return None
        link = hashlib.sha256(str(token).encode()).hexdigest()[:32]
        return self.cache_format % {"scope": self.scope, "ident": link}


def page_throttled(request: HttpRequest, scope: str, *, link: str = "") -> float | None:
    """For a server-rendered POST, counted as the API counts: the seconds to wait if the
    scope's rate is spent, else None. With `link`, counted per secret link (PerLinkThrottle)."""
    throttle: ScopedRateThrottle
    if link:
        throttle = PerLinkThrottle()
        view = SimpleNamespace(link_throttle_scope=scope, kwargs={"token": link})
    else:
        throttle = ScopedRateThrottle()
        view = SimpleNamespace(throttle_scope=scope)
    if throttle.allow_request(request, view):  # type: ignore[arg-type]
        return None
    return max(throttle.wait(), 1.0)
