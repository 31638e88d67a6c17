"""`make test`: the whole suite, on PostgreSQL and Redis whenever they answer.

DESIGN.md asks that tests needing the real services run whenever those answer. The
database is chosen before Django starts, so it is chosen here: DATABASE_URL and
REDIS_URL from the environment win (set one to `sqlite://...` or empty to opt out);
otherwise the machine's loopback services are used if they accept a connection.
"""

import os
import socket
import sys

import pytest

LOOPBACK_POSTGRES = "postgres://postgres@127.0.0.1:5432/postgres"
# Database 15 keeps the tests' cache flushes away from anything else on the machine.
LOOPBACK_REDIS = "redis://127.0.0.1:6379/15"


def _postgres_answers(url: str) -> bool:
    import psycopg

    try:
        psycopg.connect(url.replace("postgres://", "postgresql://", 1), connect_timeout=2).close()
    except psycopg.Error:
        return False
    return True


def _redis_answers(host: str = "127.0.0.1", port: int = 6379) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def main(args: list[str]) -> int:
    if "DATABASE_URL" not in os.environ and _postgres_answers(LOOPBACK_POSTGRES):
        os.environ["DATABASE_URL"] = LOOPBACK_POSTGRES
    if "REDIS_URL" not in os.environ and _redis_answers():
        os.environ["REDIS_URL"] = LOOPBACK_REDIS
    database = os.environ.get("DATABASE_URL") or "embedded SQLite"
    redis = os.environ.get("REDIS_URL") or "none (filesystem broker, local-memory cache)"
    print(f"tests: database {database}; redis {redis}", flush=True)
    return int(pytest.main(args))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
