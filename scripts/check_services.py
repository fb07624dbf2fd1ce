#!/usr/bin/env python
"""Check that PostgreSQL and Redis answer before the test suite runs.

Reads DATABASE_URL (default postgres://postgres@127.0.0.1:5432/homeservices) and REDIS_URL
(default redis://127.0.0.1:6379/0). Prints one line per unreachable service, with the command
that starts it on this machine, and exits 1; otherwise prints one line and exits 0.
Deliberately free of Django: it must work while the project itself is broken.
"""

from __future__ import annotations

import os
import sys
from urllib.parse import unquote, urlsplit

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/homeservices"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
TIMEOUT_SECONDS = 3

START_POSTGRES = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
START_REDIS = 'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no'
POSTGRES_SCHEMES = {"postgres", "postgresql", "pgsql", "psql"}


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return f"{type(error).__name__}: {text}"


def check_postgres(url: str) -> str | None:
    """None if PostgreSQL answers, else the line to print."""
    parts = urlsplit(url)
    host = parts.hostname or "127.0.0.1"
    port = parts.port or 5432
    where = f"{host}:{port}"
    if parts.scheme not in POSTGRES_SCHEMES:
        return (
            f"DATABASE_URL is not a PostgreSQL URL ({parts.scheme}://...): "
            "the test suite needs PostgreSQL."
        )
    try:
        import psycopg

        with psycopg.connect(
            host=host,
            port=port,
            user=unquote(parts.username or "postgres"),
            password=unquote(parts.password) if parts.password else None,
            dbname="postgres",  # the maintenance database: the project's may not exist yet
            connect_timeout=TIMEOUT_SECONDS,
        ) as connection:
            connection.execute("SELECT 1")
    except Exception as error:
        if "FATAL:" in str(error):  # the server answered: wrong user, password or pg_hba rule
            return (
                f"PostgreSQL at {where} refused the connection ({_one_line(error)}): "
                "check the user and password in DATABASE_URL."
            )
        return (
            f"PostgreSQL is not reachable at {where} ({_one_line(error)}): "
            f"start it with: {START_POSTGRES}"
        )
    return None


def check_redis(url: str) -> str | None:
    """None if Redis answers PING, else the line to print."""
    parts = urlsplit(url)
    where = f"{parts.hostname or '127.0.0.1'}:{parts.port or 6379}"
    try:
        import redis

        client = redis.Redis.from_url(
            url, socket_connect_timeout=TIMEOUT_SECONDS, socket_timeout=TIMEOUT_SECONDS
        )
        try:
            if not client.ping():
                raise RuntimeError("PING did not return PONG")
        finally:
            client.close()
    except Exception as error:
        return (
            f"Redis is not reachable at {where} ({_one_line(error)}): start it with: {START_REDIS}"
        )
    return None


def main() -> int:
    problems = [
        problem
        for problem in (
            check_postgres(os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL),
            check_redis(os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL),
        )
        if problem
    ]
    for problem in problems:
        print(problem)
    if problems:
        return 1
    print("PostgreSQL and Redis are reachable.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
