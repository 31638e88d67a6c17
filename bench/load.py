"""The load generator: asyncio clients on aiohttp, on the same machine as the server.

Two shapes. `steady`: a number of clients, each sending its next request as soon as its
last one is answered, for a fixed time after a warm-up; what a crowd browsing does.
`burst`: every request sent at once, timed from the first send to the last answer; what
a workshop opening for booking does. A request that fails without an HTTP answer is
counted under status 0, never dropped.
"""

import asyncio
import math
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import aiohttp


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Result:
    name: str
    elapsed: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    bodies: list[bytes] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return len(self.latencies)

    @property
    def per_second(self) -> float:
        return self.requests / self.elapsed if self.elapsed else 0.0

    def percentile_ms(self, q: float) -> float:
        return percentile(self.latencies, q) * 1000


def same(request: Request) -> Callable[[int], Request]:
    """The same request every time, for `steady`."""
    return lambda _: request


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest rank: the smallest value with at least q percent of the values at or below it."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(math.ceil(q / 100 * len(ordered)), 1)
    return ordered[rank - 1]


async def _send(
    http: aiohttp.ClientSession, base: str, request: Request, result: Result, keep_body: bool
) -> None:
    started = time.perf_counter()
    try:
        async with http.request(
            request.method, base + request.path, data=request.body, headers=request.headers
        ) as response:
            body = await response.read()
            status = response.status
    except (TimeoutError, aiohttp.ClientError):
        body, status = b"", 0
    result.latencies.append(time.perf_counter() - started)
    result.statuses[status] += 1
    if keep_body:
        result.bodies.append(body)


def _session(connections: int) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=connections),
        timeout=aiohttp.ClientTimeout(total=60),
    )


def steady(
    name: str,
    base: str,
    make: Callable[[int], Request],
    *,
    clients: int,
    seconds: float,
    warmup: float,
) -> Result:
    """`clients` clients back to back for `warmup` + `seconds`; only the last part counts."""

    async def main() -> Result:
        result, discarded = Result(name), Result(name)
        counter = iter(range(10**12))
        async with _session(clients) as http:
            warm_until = time.perf_counter() + warmup
            stop_at = warm_until + seconds

            async def client() -> None:
                while (now := time.perf_counter()) < stop_at:
                    into = discarded if now < warm_until else result
                    await _send(http, base, make(next(counter)), into, keep_body=False)

            await asyncio.gather(*(client() for _ in range(clients)))
            # Requests started in the window and answered after it count, and so does that time.
            result.elapsed = time.perf_counter() - warm_until
        return result

    return asyncio.run(main())


def burst(
    name: str, base: str, requests: Sequence[Request], *, keep_bodies: bool = False
) -> Result:
    """Every request at once; elapsed is from the first send to the last answer."""

    async def main() -> Result:
        result = Result(name)
        async with _session(len(requests)) as http:
            started = time.perf_counter()
            await asyncio.gather(*(_send(http, base, r, result, keep_bodies) for r in requests))
            result.elapsed = time.perf_counter() - started
        return result

    return asyncio.run(main())


def combine(name: str, results: Sequence[Result]) -> Result:
    """Several bursts as one figure: their requests over the sum of their times."""
    total = Result(name)
    for part in results:
        total.elapsed += part.elapsed
        total.latencies.extend(part.latencies)
        total.statuses.update(part.statuses)
        total.bodies.extend(part.bodies)
    return total


def drain(name: str, base: str, requests: Sequence[Request], *, clients: int) -> Result:
    """`clients` clients working through a list until it is empty; first send to last answer."""

    async def main() -> Result:
        result = Result(name)
        queue = iter(requests)
        async with _session(clients) as http:
            started = time.perf_counter()

            async def client() -> None:
                for request in queue:
                    await _send(http, base, request, result, keep_body=False)

            await asyncio.gather(*(client() for _ in range(clients)))
            result.elapsed = time.perf_counter() - started
        return result

    return asyncio.run(main())
