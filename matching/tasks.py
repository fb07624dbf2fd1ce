import logging

from celery import shared_task
from django.db import OperationalError

from accounts.tasks import delay_or_log

from . import services

logger = logging.getLogger(__name__)


@shared_task(
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_backoff_max=60,
    max_retries=5,
    acks_late=True,
)
def match_order_task(order_id: int) -> int | None:
    offer = services.offer_to_next_candidate(order_id=order_id)
    return offer.pk if offer else None


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
