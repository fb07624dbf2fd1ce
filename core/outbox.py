"""Work after a commit that is never lost and never done twice (R-SEC-4).

`after_commit(function, *args)` writes an `OutboxTask` row in the caller's transaction: the
change and the promise to act on it commit together or not at all. Once committed, the row is
handed to the broker (`run_outbox_task`), and a worker runs it: it locks the row, runs the
function and marks the row done in one transaction, so a message delivered twice (a worker
killed before its acknowledgement, a relay after a lost message) does the work once.

When the broker is down, handing over fails fast (CELERY_BROKER_CONNECTION_TIMEOUT) once, and
this process then stops trying for BROKER_PAUSE_SECONDS: a request that reopens 170 orders
waits for one failed connection, not 170. Beat's `relay_outbox_task` hands over every row that
was never handed over, or was handed over long ago and is still not done (Redis restarted and
lost its queue). Work that is pointless after a moment carries `not_after` and is dropped, not
done, when it comes too late (a job offer's SMS after the offer expired).

In the embedded mode (eager Celery) the work runs in the web process right after the commit.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from celery import shared_task
from django.conf import settings
from django.db import OperationalError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.module_loading import import_string
from kombu.exceptions import OperationalError as BrokerUnavailable

from .models import OutboxTask
from .sms import SmsDeliveryError
from .tasks import RETRY

logger = logging.getLogger(__name__)

# After a failed hand-over this process leaves the rows to the relay for a while.
BROKER_PAUSE_SECONDS = 15
# The relay hands over rows not handed over after this long (the commit's own hand-over
# normally takes milliseconds), and again rows handed over this long ago and not done: longer
# than the broker's visibility timeout, after which Redis redelivers an unacknowledged task.
RELAY_AFTER_SECONDS = 30
RELAY_BATCH = 500
# A row handed over this many times and still failing is left for an operator (the admin).
MAX_ATTEMPTS = 10
KEEP_DONE = timedelta(days=7)

_paused_until = 0.0


def _path(function: Callable) -> str:
    name = getattr(function, "name", None)  # a Celery task is known by its name
    return name if isinstance(name, str) else f"{function.__module__}.{function.__qualname__}"


def after_commit(function: Callable, *args, not_after: datetime | None = None) -> OutboxTask:
    """Run `function(*args)` once this transaction commits, in a worker; never if it rolls
    back; once even if its message is delivered twice; not at all after `not_after`.
    `function` is a module-level function or Celery task; `args` are ids and plain values."""
    row = OutboxTask.objects.create(function=_path(function), args=list(args), not_after=not_after)
    row_id = row.pk
    transaction.on_commit(lambda: publish([row_id]))
    return row


def waiting_first_args(function: Callable) -> set:
    """The first argument of every call of `function` the relay still re-drives (not done, not
    dropped, not given up after MAX_ATTEMPTS): a sweep leaves those to the relay instead of
    writing them again."""
    rows = OutboxTask.objects.filter(
        function=_path(function), done_at__isnull=True, dropped=False, attempts__lt=MAX_ATTEMPTS
    ).values_list("args", flat=True)
    return {args[0] for args in rows if args}


def resume_publishing() -> None:
    """Forget an earlier failed hand-over (tests; the relay ignores the pause anyway)."""
    global _paused_until
    _paused_until = 0.0


def publish(row_ids: Iterable[int], *, relaying: bool = False) -> int:
    """Hand the rows to the broker; returns how many were handed over. A failure pauses this
    process's hand-overs (not the relay's) and leaves the rows for the relay."""
    global _paused_until
    row_ids = list(row_ids)
    if not row_ids or (not relaying and time.monotonic() < _paused_until):
        return 0
    handed = []
    try:
        for row_id in row_ids:
            run_outbox_task.apply_async((row_id,), task_id=f"outbox-{row_id}")
            handed.append(row_id)
    except (BrokerUnavailable, OSError) as error:
        _paused_until = time.monotonic() + BROKER_PAUSE_SECONDS
        logger.warning(
            "Broker unreachable (%s): %d outbox tasks left for the relay",
            error,
            len(row_ids) - len(handed),
        )
    else:
        _paused_until = 0.0  # the broker took them all: it is back, if it was ever away
    finally:
        if handed:
            OutboxTask.objects.filter(pk__in=handed, done_at__isnull=True).update(
                published_at=timezone.now(), attempts=F("attempts") + 1
            )
    return len(handed)


def run_outbox_row(row_id: int) -> str:
    """Do the row's work once: locked, checked, done and marked in one transaction."""
    with transaction.atomic():
        row = OutboxTask.objects.select_for_update().filter(pk=row_id).first()
        if row is None or row.done_at is not None:
            return "done before"
        now = timezone.now()
        if row.not_after is not None and row.not_after < now:
            row.dropped, row.done_at = True, now
            row.save(update_fields=["dropped", "done_at"])
            logger.info("Dropped %s: too late (not after %s)", row, row.not_after)
            return "dropped"
        import_string(row.function)(*row.args)
        row.done_at = timezone.now()
        row.save(update_fields=["done_at"])
    return "done"


@shared_task(autoretry_for=(OperationalError, SmsDeliveryError, OSError), **RETRY)
def run_outbox_task(row_id: int) -> str:
    return run_outbox_row(row_id)


def relay() -> int:
    """Hand over what the commits could not (broker down) and what was lost after (a queue
    emptied by a Redis restart). Returns how many rows were handed over."""
    now = timezone.now()
    waiting = OutboxTask.objects.filter(done_at__isnull=True, attempts__lt=MAX_ATTEMPTS).filter(
        Q(published_at__isnull=True, created_at__lt=now - timedelta(seconds=RELAY_AFTER_SECONDS))
        | Q(published_at__lt=now - timedelta(seconds=settings.OUTBOX_REDELIVER_SECONDS))
    )
    row_ids = list(waiting.order_by("created_at").values_list("pk", flat=True)[:RELAY_BATCH])
    handed = publish(row_ids, relaying=True)
    if handed:
        logger.info("Relayed %d outbox tasks", handed)
    OutboxTask.objects.filter(done_at__lt=now - KEEP_DONE).delete()
    return handed


@shared_task(autoretry_for=(OperationalError,), **RETRY)
def relay_outbox_task() -> int:
    return relay()
