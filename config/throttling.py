"""The API's throttle: DRF's scoped rates, each request counted in one atomic step."""

from typing import Any

from rest_framework import throttling
from rest_framework.request import Request

from config.cache import count_hit, fail_open


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
