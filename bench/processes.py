"""The processes under test, started the way production starts them (the Procfile's lines)."""

import os
import re
import shlex
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOGS = ROOT / "var" / "bench"


def procfile_command(name: str, procfile: Path = ROOT / "Procfile") -> str:
    """The command of one Procfile process, as honcho and platforms run it (through a shell)."""
    for line in procfile.read_text().splitlines():
        match = re.match(rf"^{re.escape(name)}:\s*(.+)$", line)
        if match:
            return match.group(1).strip()
    raise LookupError(f"{procfile.name} has no '{name}' process")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]

    @property
    def pid(self) -> int:
        return self.popen.pid

    def stop(self) -> None:
        if self.popen.poll() is None:
            # The whole group: a shell line's children (gunicorn's and Celery's workers) too.
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(5)


@contextmanager
def started(name: str, command: str, env: dict[str, str]) -> Iterator[Process]:
    """Run a shell command line in its own process group, its output in var/bench/NAME.log."""
    LOGS.mkdir(parents=True, exist_ok=True)
    with (LOGS / f"{name}.log").open("ab") as log:
        popen = subprocess.Popen(  # noqa: S602 -- Procfile lines are shell lines by definition
            f"exec {command}",
            shell=True,
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            executable="/bin/bash",
        )
    process = Process(name, popen)
    try:
        yield process
    finally:
        process.stop()


def wait_for_http(url: str, process: Process, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.popen.poll() is not None:
            raise RuntimeError(f"{process.name} exited; see {LOGS / process.name}.log")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 -- our own loopback URL
                return
        except urllib.error.HTTPError as answered:
            if answered.code < 500:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{process.name} did not answer {url} within {seconds:.0f} s")


def process_tree(pid: int) -> list[int]:
    """A process and all its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    tree, pending = [], [pid]
    while pending:
        current = pending.pop()
        tree.append(current)
        pending.extend(children.get(current, []))
    return tree


def memory_kib(pid: int) -> tuple[int, int]:
    """(PSS, RSS) of one process in KiB: PSS shares each copy-on-write page among its users."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0, 0
    values = {}
    for line in text.splitlines()[1:]:
        key, _, rest = line.partition(":")
        values[key] = int(rest.split()[0])
    return values.get("Pss", 0), values.get("Rss", 0)


def command_line(*parts: str) -> str:
    return " ".join(shlex.quote(part) for part in parts)
