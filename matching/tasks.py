"""Matching's Celery tasks: they take ids, call one service of matching/services/ and are safe
to run twice. The web request queues them through matching/requests.py and
matching/receivers.py (`enqueue_match`, `enqueue_batch`); beat runs the expiry and the sweep
(config/celery.py)."""

import logging

from celery import shared_task
from django.db import OperationalError

from core.outbox import after_commit, waiting_first_args

from .selectors import orders_stuck_in_matching
from .services.batch import fail_batch, run_batch
from .services.loop import advance_matching
from .services.offers import expire_stale_offers

logger = logging.getLogger(__name__)

# A deadlock or a lost connection is worth a retry; business outcomes are not failures.
RETRY_ON_DATABASE_ERRORS = {
    "autoretry_for": (OperationalError,),
    "retry_backoff": True,
    "retry_backoff_max": 60,
    "max_retries": 5,
    "acks_late": True,
}


@shared_task(**RETRY_ON_DATABASE_ERRORS)
def match_order_task(order_id: int) -> str | None:
    """The next matching step for the order (services.loop.advance_matching)."""
    outcome = advance_matching(order_id=order_id)
    if outcome is None:
        return None
    if isinstance(outcome, list):
        return f"recommended {len(outcome)}"
    return f"offer {outcome.pk}"


@shared_task
def expire_stale_offers_task() -> int:
    return expire_stale_offers()


@shared_task
def sweep_unmatched_orders_task() -> int:
    # An order whose last match is still waiting in the outbox is the relay's to re-drive:
    # writing it again on every sweep would feed a backlog instead of draining it.
    waiting = waiting_first_args(match_order_task)
    order_ids = [order_id for order_id in orders_stuck_in_matching() if order_id not in waiting]
    for order_id in order_ids:
        enqueue_match(order_id)
    if order_ids:
        logger.info("Re-queued %d orders stuck in matching", len(order_ids))
    return len(order_ids)


def enqueue_match(order_id: int) -> None:
    """Match the order once the caller's transaction commits (core.outbox: never lost)."""
    after_commit(match_order_task, order_id)


def _batch_failed(task, exc, task_id, args, kwargs, einfo):
    fail_batch(run_id=args[0], error=f"{type(exc).__name__}: {exc}")


@shared_task(**RETRY_ON_DATABASE_ERRORS, on_failure=_batch_failed)
def run_batch_task(run_id: int) -> str | None:
    """An operator's batch assignment (services.batch.run_batch)."""
    run = run_batch(run_id=run_id)
    return run.status if run else None


def enqueue_batch(run_id: int) -> None:
    """Run a recorded batch once the caller's transaction commits (core.outbox)."""
    after_commit(run_batch_task, run_id)
