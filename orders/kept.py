"""A value read from the database and kept in each process's memory while it is current.

For read-mostly data every request needs (the catalogue and its prices): reading it costs
several queries, yet it changes a few times a day. The value is kept per process under a version
number held in the shared cache (Redis), so all web processes and workers agree: a change bumps
the version once its transaction commits (`changed()`, called from signals); the process that
made the change drops its copy at once, the others see the new version within RECHECK_SECONDS
(a request often asks several times; one look at the cache per half second is enough). While
the current transaction itself holds such a change (a service that changes it and reads it in
one transaction, or a test), the value is read afresh and not kept, so nobody ever works on
data a rollback undid. Without the cache (Redis down) every use reads afresh, with a warning.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from datetime import datetime
from typing import Generic, TypeVar

from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

logger = logging.getLogger(__name__)

T = TypeVar("T")

RECHECK_SECONDS = 0.5


class Kept(Generic[T]):
    """`load()` returns the value; if it has an `expires_at` (a datetime or None), the kept value
    is also reloaded once that moment has come (e.g. a price book that takes effect later)."""

    def __init__(self, name: str, load: Callable[[], T]):
        self.name = name
        self.load = load
        self.version_key = f"kept:{name}:version"
        self._dirty_flag = f"_kept_{name}_changed"
        self._kept: tuple[int, T] | None = None
        self._checked_at = -math.inf  # time.monotonic() when the version last matched

    def get(self) -> T:
        if self._changed_in_this_transaction():
            return self.load()
        kept = self._kept
        if kept is not None and self._expired(kept[1]):
            kept = None
        if kept is not None and time.monotonic() - self._checked_at < RECHECK_SECONDS:
            return kept[1]
        try:
            version = self._version()
        except Exception:
            logger.warning("Cache unreachable; %s read afresh", self.name, exc_info=True)
            return self.load()
        if kept is not None and kept[0] == version:
            self._checked_at = time.monotonic()
            return kept[1]
        # Read after the version: a change committed meanwhile bumps it again, so a value newer
        # than its version is at worst reloaded once more.
        value = self.load()
        self._kept = (version, value)
        self._checked_at = time.monotonic()
        return value

    def forget(self) -> None:
        """Drop the kept value (tests start each with an empty cache)."""
        self._kept = None
        self._checked_at = -math.inf

    def changed(self) -> None:
        """The data behind the value changed: once the transaction commits, every process
        reloads it on its next use; until then this transaction reads it afresh."""
        if connection.in_atomic_block:
            setattr(connection, self._dirty_flag, True)
        transaction.on_commit(self._bump)

    def _bump(self) -> None:
        self.forget()  # this process sees its own change at once
        try:
            cache.incr(self.version_key)
        except ValueError:  # no version yet: nothing was kept under it
            pass
        except Exception:
            logger.warning("Cache unreachable; %s version not bumped", self.name, exc_info=True)

    def _version(self) -> int:
        version = cache.get(self.version_key)
        if version is None:
            # Start from the clock, so a version lost with the cache never matches a kept value.
            cache.add(self.version_key, time.time_ns(), timeout=None)
            version = cache.get(self.version_key)
            if version is None:
                raise RuntimeError("the cache keeps no version")
        return version

    def _changed_in_this_transaction(self) -> bool:
        if not getattr(connection, self._dirty_flag, False):
            return False
        if connection.in_atomic_block:
            return True
        setattr(connection, self._dirty_flag, False)  # that transaction is over
        return False

    @staticmethod
    def _expired(value) -> bool:
        expires_at: datetime | None = getattr(value, "expires_at", None)
        return expires_at is not None and timezone.now() >= expires_at
