"""Read-mostly data kept between the changes to it, under version numbers in the shared cache.

Some data every request needs changes a few times a day (the catalogue and its prices, the
providers' standing data, who is free when). Reading it costs queries each time; keeping it
costs knowing when it changed. One mechanism, three uses:

- `Versions`: version numbers in the shared cache (Redis), one for a whole family of values and
  one per part (a roster per area). A change bumps them once its transaction commits
  (`changed()`, called from signals), so every web process and worker agrees. A version that is
  missing is created from the clock, so a version lost with the cache never matches a value
  kept before. While the current transaction itself holds such a change (a service that
  changes the data and reads it in one transaction, or a test), readers read afresh, so nobody
  ever works on data a rollback undid.
- `Kept`: a value (or one per part) kept in each process's memory while its versions hold; the
  process that made a change drops its copy at once, the others see the new version within
  `recheck_seconds`. A value with an `expires_at` (a price book published for later) is also
  reloaded once that moment has come.
- `KeptAnswers`: answers kept in the shared cache itself (every process reads the same ones),
  under the family's version, so a change forgets them all at once. They are hints that the
  writer re-checks under its locks (who is free when), so they are not read afresh inside the
  transaction that changed their data.

Without the cache (Redis down) every use reads afresh, with a warning: a shortcut, never a
source of truth.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Hashable, Iterable
from datetime import datetime
from typing import Any, Generic, TypeVar

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Every Kept and KeptAnswers, so that tests can forget them all between tests.
_registry: list = []


class Versions:
    """The version numbers of the family `name`: one for the whole, one per part."""

    def __init__(self, name: str):
        self.name = name
        self._dirty_flag = f"_kept_{name}_changed"

    def key(self, part: Hashable | None = None) -> str:
        return f"kept:{self.name}:version" if part is None else f"kept:{self.name}:{part}:version"

    def current(self, *parts: Hashable) -> tuple[int, ...]:
        """The whole family's version, then each part's. Raises when the cache is unreachable
        or keeps nothing."""
        keys = [self.key(), *(self.key(part) for part in parts)]
        found = cache.get_many(keys)
        missing = [key for key in keys if key not in found]
        if missing:
            for key in missing:
                cache.add(key, time.time_ns(), timeout=None)
            found.update(cache.get_many(missing))
            if any(key not in found for key in keys):
                raise RuntimeError(f"the cache keeps no version for {self.name}")
        return tuple(found[key] for key in keys)

    def changed(
        self,
        *parts: Hashable,
        parts_on_commit: Callable[[], Iterable] | None = None,
        then: Callable[[list], object] | None = None,
    ) -> None:
        """The data behind these parts (with none: behind the whole family) changed. Once the
        transaction commits their versions are bumped (and `then(parts)` is called, `[None]`
        meaning the whole family); until then this transaction reads afresh.
        `parts_on_commit` names parts that can only be known after the commit (e.g. a
        provider's areas)."""
        if connection.in_atomic_block:
            setattr(connection, self._dirty_flag, True)

        def bump():
            named = list(parts)
            if parts_on_commit is not None:
                named.extend(parts_on_commit())
            elif not named:
                named = [None]
            self.bump(named)
            if then is not None:
                then(named)

        transaction.on_commit(bump)

    def bump(self, parts: Iterable[Hashable | None]) -> None:
        for part in parts:
            try:
                cache.incr(self.key(part))
            except ValueError:  # no version yet: nothing was kept under it
                pass
            except Exception:
                logger.warning("Cache unreachable; %s version not bumped", self.name, exc_info=True)

    def changed_in_this_transaction(self) -> bool:
        if not getattr(connection, self._dirty_flag, False):
            return False
        if connection.in_atomic_block:
            return True
        setattr(connection, self._dirty_flag, False)  # that transaction is over
        return False

    def forget_changes(self) -> None:
        """Forget that this connection changed the data (tests start each with a clean slate)."""
        setattr(connection, self._dirty_flag, False)


def _expired(value) -> bool:
    expires_at: datetime | None = getattr(value, "expires_at", None)
    return expires_at is not None and timezone.now() >= expires_at


class Kept(Generic[T]):
    """`get()` (or `get(part)`) returns `load()` (or `load(part)`), kept in this process while
    the versions of the family and of that part hold (see the module doc)."""

    def __init__(self, name: str, load: Callable[..., T], *, recheck_seconds: float = 0.0):
        self.name = name
        self.load = load
        self.versions = Versions(name)
        self.recheck_seconds = recheck_seconds
        # part -> (versions, value, time.monotonic() when the versions last matched)
        self._kept: dict[Hashable, tuple[tuple[int, ...], T, float]] = {}
        _registry.append(self)

    def get(self, part: Hashable | None = None) -> T:
        args: tuple[Any, ...] = () if part is None else (part,)
        if self.versions.changed_in_this_transaction():
            return self.load(*args)
        kept = self._kept.get(part)
        if kept is not None and _expired(kept[1]):
            kept = None
        if kept is not None and time.monotonic() - kept[2] < self.recheck_seconds:
            return kept[1]
        try:
            version = self.versions.current(*args)
        except Exception:
            logger.warning("Cache unreachable; %s read afresh", self.name, exc_info=True)
            return self.load(*args)
        if kept is not None and kept[0] == version:
            self._kept[part] = (version, kept[1], time.monotonic())
            return kept[1]
        # Read after the version: a change committed meanwhile bumps it again, so a value newer
        # than its version is at worst reloaded once more.
        value = self.load(*args)
        self._kept[part] = (version, value, time.monotonic())
        return value

    def changed(self, *parts: Hashable, parts_on_commit=None) -> None:
        """The data behind the value changed: every process reloads it on its next use once
        the transaction commits (this one at once); until then this transaction reads afresh."""
        self.versions.changed(*parts, parts_on_commit=parts_on_commit, then=self._forget_parts)

    def _forget_parts(self, parts: list) -> None:
        if None in parts:
            self.forget()
        for part in parts:
            self._kept.pop(part, None)

    def forget(self) -> None:
        """Drop this process's values."""
        self._kept.clear()

    def held(self) -> dict:
        """The values this process keeps now, by part (benchmarks tell a load from a hit)."""
        return {part: kept[1] for part, kept in self._kept.items()}

    def forget_all(self) -> None:
        """Drop this process's values and this connection's mark of a change (tests)."""
        self.forget()
        self.versions.forget_changes()


class KeptAnswers:
    """Answers computed from the database and kept in the shared cache for `timeout` seconds
    at most, under the family's version: `changed()` forgets every one of them at once."""

    def __init__(self, name: str, *, timeout: Callable[[], int]):
        self.name = name
        self.versions = Versions(name)
        self.timeout = timeout
        _registry.append(self)

    def get(
        self,
        key: str,
        compute: Callable[[], T],
        *,
        encode: Callable[[T], Any] = lambda value: value,
        decode: Callable[[Any], T] = lambda value: value,
    ) -> T:
        # Unlike a Kept value, an answer is not read afresh inside a transaction that changed
        # its data: answers are hints that the writer re-checks under its row locks.
        try:
            (version,) = self.versions.current()
            cache_key = f"kept:{self.name}:{version}:{key}"
            cached = cache.get(cache_key)
        except Exception:
            logger.warning("Cache unreachable; %s computed afresh", self.name, exc_info=True)
            return compute()
        if cached is not None:
            return decode(cached)
        value = compute()
        try:
            cache.set(cache_key, encode(value), timeout=self.timeout())
        except Exception:
            logger.warning("Cache unreachable; %s answer not kept", self.name, exc_info=True)
        return value

    def changed(self) -> None:
        self.versions.changed()

    def forget_all(self) -> None:
        self.versions.forget_changes()


def forget_everything() -> None:
    """Every process-local value and every change mark (tests start each with a clean slate)."""
    for value in _registry:
        value.forget_all()


def on_save_and_delete(receiver: Callable[..., None], *models, name: str) -> None:
    """Connect `receiver` to every save and delete of `models`: what a kept value read from
    them must hear of to be forgotten. `name` keeps the connections unique (connect twice, one
    call)."""
    for model in models:
        uid = f"{name}-{model.__name__}"
        post_save.connect(receiver, sender=model, dispatch_uid=uid)
        post_delete.connect(receiver, sender=model, dispatch_uid=f"{uid}-deleted")
