"""An SMTP server on loopback that counts what it is sent, by recipient and subject."""

import threading
from collections import Counter
from typing import Any

from aiosmtpd.controller import Controller


class CountingSink:
    def __init__(self) -> None:
        self.recipients: Counter[str] = Counter()
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:
            self.recipients.update(envelope.rcpt_tos)
        return "250 Message accepted"

    def received(self, prefix: str = "") -> int:
        with self._lock:
            return sum(n for to, n in self.recipients.items() if to.startswith(prefix))

    def repeated(self, prefix: str = "") -> int:
        """Messages beyond the first to the same recipient."""
        with self._lock:
            return sum(n - 1 for to, n in self.recipients.items() if to.startswith(prefix))


def start(port: int) -> tuple[CountingSink, Controller]:
    sink = CountingSink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    return sink, controller
