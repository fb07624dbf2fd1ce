"""Is this process alive (/healthz), and can the platform do its work now (/readyz)?

`readiness()` runs one check per dependency: the database, the shared cache (Redis), the
broker (Redis) and the heartbeat of beat and the workers. Each runs in a thread of its own and
is given `HEALTH_CHECK_TIMEOUT_SECONDS` (2 s): a dependency that does not answer in time is
reported as failed, so /readyz answers 503 quickly instead of hanging. A check still stuck from
an earlier call is waited for again, never started twice, so a dead host costs one thread per
check, not one per call.

The heartbeat: beat sends `core.tasks.heartbeat_task` every minute and a worker runs it, writing
the `Heartbeat` row; one recent row proves that beat scheduled it and a worker ran it. It lives
in the database, so it can be read with Redis down.

In the embedded mode (eager Celery: no broker, no worker, no beat) those checks say "not used".
Reasons name the failure, never a URL, a host or a password: /readyz answers anybody.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache
from django.db import close_old_connections, connection
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from kombu import Connection

from .models import Heartbeat

logger = logging.getLogger(__name__)

OK, FAILED, NOT_USED = "ok", "failed", "not used"
BEAT = "beat"


@dataclass(frozen=True)
class Check:
    status: str
    reason: str = ""

    def as_json(self) -> dict:
        return (
            {"status": self.status, "reason": self.reason}
            if self.reason
            else {"status": self.status}
        )


def _embedded() -> bool:
    return bool(settings.CELERY_TASK_ALWAYS_EAGER)


def database() -> Check:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return Check(OK)


def cache() -> Check:
    backend = caches["default"]
    if isinstance(backend, (LocMemCache, DummyCache)):
        return Check(NOT_USED, _("Each process keeps its own cache (REDIS_URL is not set)."))
    backend.get("core:readyz")
    return Check(OK)


def broker() -> Check:
    if _embedded():
        return Check(NOT_USED, _("Tasks run inside the web process (embedded mode)."))
    timeout = settings.HEALTH_CHECK_TIMEOUT_SECONDS
    options = {"socket_timeout": timeout, "socket_connect_timeout": timeout}
    with Connection(
        settings.CELERY_BROKER_URL, connect_timeout=timeout, transport_options=options
    ) as broker_connection:
        broker_connection.ensure_connection(max_retries=1, interval_start=0, timeout=timeout)
    return Check(OK)


def beat_and_worker() -> Check:
    if _embedded():
        return Check(NOT_USED, _("No worker or beat: tasks run inside the web process."))
    at = Heartbeat.objects.filter(name=BEAT).values_list("at", flat=True).first()
    if at is None:
        return Check(FAILED, _("No heartbeat yet: are beat and a worker running?"))
    seconds = int((timezone.now() - at).total_seconds())
    if seconds > settings.HEARTBEAT_MAX_AGE_SECONDS:
        return Check(
            FAILED,
            _(
                "The last heartbeat ran %(seconds)d s ago: beat or every worker is down, "
                "or the queue is backed up."
            )
            % {"seconds": seconds},
        )
    return Check(OK, _("The last heartbeat ran %(seconds)d s ago.") % {"seconds": seconds})


def checks() -> dict[str, Callable[[], Check]]:
    """The checks of /readyz, by the name they are reported under."""
    return {
        "database": database,
        "cache": cache,
        "broker": broker,
        "beat_and_worker": beat_and_worker,
    }


_lock = threading.Lock()
_running: dict[str, Future] = {}
_executor: ThreadPoolExecutor | None = None


def _run(name: str, check: Callable[[], Check]) -> Check:
    # A thread of the pool: its database connection follows the rules of a request's.
    close_old_connections()
    try:
        with translation.override(settings.LANGUAGE_CODE):
            return check()
    except Exception as error:  # a check reports any failure; it never raises
        logger.warning("Readiness check %s failed: %r", name, error)
        with translation.override(settings.LANGUAGE_CODE):
            return Check(FAILED, _("Unreachable (%(error)s).") % {"error": type(error).__name__})
    finally:
        close_old_connections()


def _start(name: str, check: Callable[[], Check]) -> Future:
    global _executor
    with _lock:
        running = _running.get(name)
        if running is not None and not running.done():
            return running  # still waiting for an earlier call's answer: wait for it again
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=8, thread_name_prefix="readyz")
        _running[name] = future = _executor.submit(_run, name, check)
        return future


def readiness() -> dict[str, Check]:
    """Every check's outcome, within HEALTH_CHECK_TIMEOUT_SECONDS in all."""
    timeout = settings.HEALTH_CHECK_TIMEOUT_SECONDS
    deadline = time.monotonic() + timeout
    futures = {name: _start(name, check) for name, check in checks().items()}
    outcome = {}
    for name, future in futures.items():
        try:
            outcome[name] = future.result(timeout=max(0.0, deadline - time.monotonic()))
        except FutureTimeout:
            logger.warning("Readiness check %s gave no answer within %s s", name, timeout)
            outcome[name] = Check(
                FAILED, _("No answer within %(seconds)s s.") % {"seconds": timeout}
            )
    return outcome


def is_ready(outcome: dict[str, Check]) -> bool:
    return all(check.status != FAILED for check in outcome.values())


def record_heartbeat(name: str = BEAT) -> None:
    """Note that the periodic task `name` ran now: one atomic upsert, safe to run twice."""
    Heartbeat.objects.bulk_create(
        [Heartbeat(name=name, at=timezone.now())],
        update_conflicts=True,
        unique_fields=["name"],
        update_fields=["at"],
    )
