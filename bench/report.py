"""bench/RESULTS.md: the machine, then each scenario's figures, the checks and the targets."""

import os
import platform
import subprocess
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from bench import processes

if TYPE_CHECKING:
    from bench.run import Bench


def _cpu() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _memory_gib() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 1024**2
    return 0.0


def _commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(  # noqa: S603 -- fixed arguments
            ["git", *args],  # noqa: S607
            cwd=processes.ROOT,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()

    dirty = " (with uncommitted changes)" if git("status", "--porcelain") else ""
    return f"{git('rev-parse', '--short', 'HEAD')}{dirty}"


def machine() -> list[tuple[str, str]]:
    import redis
    from django.conf import settings
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
    return [
        ("Date", datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")),
        ("Commit", _commit()),
        ("CPU", f"{_cpu()}, {os.cpu_count()} cores"),
        ("Memory", f"{_memory_gib():.0f} GiB"),
        ("OS", f"{platform.system()} {platform.release()}"),
        ("Python", platform.python_version()),
        (
            "Packages",
            ", ".join(
                f"{name} {metadata.version(name)}"
                for name in ("django", "djangorestframework", "gunicorn", "celery", "psycopg")
            ),
        ),
        ("PostgreSQL", postgres),
        ("Redis", str(redis.Redis.from_url(settings.REDIS_URL).info()["redis_version"])),
    ]


def markdown(bench: "Bench") -> str:
    lines = [
        "# Regard under load",
        "",
        "Written by `make bench` (bench/run.py); every figure below is from one run on this",
        "machine. The load generator (asyncio clients on aiohttp) runs on the same cores as the",
        "server, PostgreSQL, Redis, localstripe and the SMTP sink, so absolute figures are low",
        "and the ratios (same process, same middleware, same moment) are what to compare.",
        "",
        "## Machine",
        "",
        *(f"- {name}: {value}" for name, value in machine()),
        f"- Web: `{processes.procfile_command('web')}` with WEB_CONCURRENCY=2",
        f"- Worker: `{processes.procfile_command('worker')}` with WORKER_CONCURRENCY=2",
        f"- Run time: {bench.facts.get('duration', '?')}",
        "",
        "## Scenarios",
        "",
        "| Scenario | Requests | Req/s | p50 ms | p99 ms | Answers | Ratio to baseline | Notes |",
        "|---|---:|---:|---:|---:|---|---:|---|",
    ]
    for row in bench.rows:
        result = row.result
        answers = ", ".join(f"{code}×{n}" for code, n in sorted(result.statuses.items()))
        ratio = f"{row.ratio:.2f} of {row.baseline.name}" if row.baseline and row.ratio else ""
        lines.append(
            f"| {result.name} | {result.requests} | {result.per_second:.0f} | "
            f"{result.percentile_ms(50):.1f} | {result.percentile_ms(99):.1f} | {answers} | "
            f"{ratio} | {row.note} |"
        )
    lines += ["", "## Jobs", ""]
    lines += [f"- {name}: {value}" for name, value in bench.facts.items() if name != "duration"]
    lines += ["", "## Targets", ""]
    lines += [
        f"- {'met' if passed else '**not met**'}: {name} ({detail})"
        for name, passed, detail in bench.targets
    ]
    lines += ["", "## Checks", ""]
    lines += [
        f"- {'ok' if passed else '**FAILED**'}: {name} ({detail})"
        for name, passed, detail in bench.checks
    ]
    return "\n".join(lines) + "\n"
