"""Limits on every door (R-SEC-3): logins, phone codes and their checks, password resets, the
messages sent to one number.

Each attempt first takes one hit on every limit that applies (by account, by number, by
address), then the work is done only if none is exceeded: concurrent attempts are counted one
by one (one upsert each, atomic in PostgreSQL and SQLite), so a burst can never get more tries
than the limit, as a check-then-count would allow. The counters are in the database, not the
cache: a limit holds, and answers, while Redis is down (R-SEC-4). Two windows per door (e.g.
10 in 15 minutes and 30 in a day) make the back-off: a caller who keeps failing waits longer.

Call `hit` outside any transaction that a refusal would roll back: the hit must stay counted.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import ngettext

from .models import RateCount

# Counters older than this are purged (the longest window is a day).
KEEP_COUNTS = timedelta(days=2)


@dataclass(frozen=True)
class Limit:
    """At most `hits` attempts at door `scope` by one caller in `seconds`."""

    scope: str
    hits: int
    seconds: int


class Limited(ValidationError):
    """Too many attempts: the message says when to try again; `retry_after` in seconds."""

    def __init__(self, retry_after: int):
        self.retry_after = max(1, int(retry_after))
        minutes = math.ceil(self.retry_after / 60)
        super().__init__(
            ngettext(
                "Too many attempts. Please try again in %(minutes)d minute.",
                "Too many attempts. Please try again in %(minutes)d minutes.",
                minutes,
            )
            % {"minutes": minutes},
            code="limited",
        )


def client_ip(request) -> str:
    """The client's address, which the limits count by.

    Reached directly, it is REMOTE_ADDR: any header was written by the client, and believing
    X-Forwarded-For would give a guesser a fresh address for every try. Only behind our own
    reverse proxy (BEHIND_PROXY) is REMOTE_ADDR the proxy's; the client's is then the right-most
    entry of TRUSTED_PROXY_HEADER (X-Forwarded-For), the one the proxy appended: entries left
    of it are whatever the client sent. Anything but an IP address there falls back to
    REMOTE_ADDR."""
    remote = request.META.get("REMOTE_ADDR", "")
    if not settings.BEHIND_PROXY:
        return remote
    entries = request.META.get(settings.TRUSTED_PROXY_HEADER, "").split(",")
    added_by_proxy = entries[-1].strip()
    try:
        return str(ipaddress.ip_address(added_by_proxy))
    except ValueError:
        return remote


def _hashed(scope: str, key: str) -> str:
    return salted_hmac("core.throttle", f"{scope}:{key}", algorithm="sha256").hexdigest()


def _window_start(now: datetime, seconds: int) -> datetime:
    epoch = int(now.timestamp()) // seconds * seconds
    return datetime.fromtimestamp(epoch, tz=UTC)


_UPSERT = (
    "INSERT INTO core_ratecount (scope, key, window_start, hits) VALUES (%s, %s, %s, 1) "
    "ON CONFLICT (scope, key, window_start) DO UPDATE SET hits = core_ratecount.hits + 1 "
    "RETURNING hits"
)


def _take(limit: Limit, key: str, now: datetime) -> tuple[int, datetime]:
    start = _window_start(now, limit.seconds)
    with connection.cursor() as cursor:
        cursor.execute(_UPSERT, [limit.scope, _hashed(limit.scope, key), start])
        (hits,) = cursor.fetchone()
    return hits, start


def hit(checks: Iterable[tuple[Limit, str]]) -> None:
    """Take one hit on each (limit, caller key); raise Limited when any limit is now exceeded,
    with the longest wait among them. An empty key (e.g. no address) is not limited."""
    now = timezone.now()
    wait = 0.0
    for limit, key in checks:
        if not key:
            continue
        hits, start = _take(limit, key, now)
        if hits > limit.hits:
            ends = start + timedelta(seconds=limit.seconds)
            wait = max(wait, (ends - now).total_seconds())
    if wait:
        raise Limited(retry_after=math.ceil(wait))


def forgive(limits: Iterable[Limit], key: str) -> None:
    """Forget `key`'s hits on these doors (the account's owner proved who they are)."""
    for limit in limits:
        RateCount.objects.filter(scope=limit.scope, key=_hashed(limit.scope, key)).delete()


def give_back(limits: Iterable[Limit], key: str) -> None:
    """Return the hit just taken by `key` (a success that should not use up a shared budget,
    e.g. a colleague's login from the same office address)."""
    now = timezone.now()
    for limit in limits:
        RateCount.objects.filter(
            scope=limit.scope,
            key=_hashed(limit.scope, key),
            window_start=_window_start(now, limit.seconds),
            hits__gt=0,
        ).update(hits=F("hits") - 1)


def purge_old_counts() -> int:
    """Delete the counters of windows long gone; returns how many."""
    deleted, _rows = RateCount.objects.filter(
        window_start__lt=timezone.now() - KEEP_COUNTS
    ).delete()
    return deleted
