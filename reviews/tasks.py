import logging

from celery import shared_task

from core.outbox import after_commit
from core.tasks import DB_TASK

from . import services

logger = logging.getLogger(__name__)


@shared_task(**{**DB_TASK, "retry_backoff_max": 60}, acks_late=True)
def schedule_feedback_call_task(provider_id: int) -> int | None:
    """Put a feedback call on the list if this completion reached a milestone (R-VET-8).

    Safe to run twice: one call per provider and milestone."""
    call = services.schedule_feedback_call_if_due(provider_id=provider_id)
    return call.pk if call else None


@shared_task(**DB_TASK)
def sweep_feedback_calls_task() -> int:
    """Hourly: list the milestone calls a lost message or a broker outage left out."""
    calls = services.schedule_missed_feedback_calls()
    if calls:
        logger.info("Listed %d missed provider feedback calls", len(calls))
    return len(calls)


def enqueue_feedback_call(provider_id: int) -> None:
    """Check for a milestone call once the caller's transaction commits (core.outbox)."""
    after_commit(schedule_feedback_call_task, provider_id)
