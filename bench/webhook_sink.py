"""Receivers for the webhook fan-out: HTTP/1.1 servers on loopback that count each
`webhook-id` they are sent, and answer 204 at once."""

import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class CountingReceiver:
    def __init__(self) -> None:
        self.ids: Counter[str] = Counter()
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # connections kept open, as a real receiver's

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver._lock:
                    receiver.ids[self.headers.get("webhook-id", "")] += 1
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def received(self) -> int:
        with self._lock:
            return sum(self.ids.values())

    @property
    def repeated(self) -> int:
        with self._lock:
            return sum(n - 1 for n in self.ids.values())

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
