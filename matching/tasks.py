import logging

from celery import shared_task
from django.db import OperationalError

from core.tasks import delay_or_log

from . import services

logger = logging.getLogger(__name__)


@shared_task(
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_backoff_max=60,
    max_retries=5,
    acks_late=True,
)
def match_order_task(order_id: int) -> str | None:
    """The next matching step for the order (services.advance_matching); safe to run twice."""
    outcome = services.advance_matching(order_id=order_id)
    if outcome is None:
        return None
    if isinstance(outcome, list):
        return f"recommended {len(outcome)}"
    return f"offer {outcome.pk}"


@shared_task
def expire_stale_offers_task() -> int:
    return services.expire_stale_offers()


@shared_task
def sweep_unmatched_orders_task() -> int:
    order_ids = list(services.orders_stuck_in_matching())
    for order_id in order_ids:
        enqueue_match(order_id)
    if order_ids:
        logger.info("Re-queued %d orders stuck in matching", len(order_ids))
    return len(order_ids)


def enqueue_match(order_id: int) -> None:
    """Queue the match; if the broker is down, the order waits for the sweep."""
    delay_or_log(match_order_task, order_id)


def _batch_failed(task, exc, task_id, args, kwargs, einfo):
    from .batch_services import fail_batch

    fail_batch(run_id=args[0], error=f"{type(exc).__name__}: {exc}")


@shared_task(
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_backoff_max=60,
    max_retries=5,
    acks_late=True,
    on_failure=_batch_failed,
)
def run_batch_task(run_id: int) -> str | None:
    """An operator's batch assignment (matching/batch_services.py); safe to run twice."""
    from .batch_services import run_batch

    run = run_batch(run_id=run_id)
    return run.status if run else None
