"""A real HTTP receiver on loopback for webhook tests: it records what arrives and answers
with the statuses it is given, one per request (the last one repeated)."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: str
    client_port: int = 0  # one per connection


@dataclass
class Receiver:
    url: str
    statuses: list[int] = field(default_factory=lambda: [200])
    delay: float = 0.0  # seconds before answering
    received: list[Received] = field(default_factory=list)
    location: str = ""  # for a 3xx
    keep_alive: bool = False  # HTTP/1.1, connections kept open between requests

    def answer(self) -> int:
        return self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]


@contextmanager
def receiver(**options: object) -> Iterator[Receiver]:
    state = Receiver(url="", **options)  # type: ignore[arg-type]
    stop = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1" if state.keep_alive else "HTTP/1.0"

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            body = self.rfile.read(length).decode()
            headers = dict(self.headers.items())
            state.received.append(Received(self.path, headers, body, self.client_address[1]))
            if state.delay:
                stop.wait(state.delay)
            status = state.answer()
            self.send_response(status)
            if state.location:
                self.send_header("Location", state.location)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            pass  # quiet

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/regard"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        stop.set()
        server.shutdown()
        server.server_close()
