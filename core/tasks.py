import logging

from celery import shared_task
from django.db import OperationalError

from .health import record_heartbeat
from .throttle import purge_old_counts

logger = logging.getLogger(__name__)

# Transient failures are retried with exponential backoff, five times at most; a business
# refusal is an outcome, not a failure, and is never retried.
RETRY = {"retry_backoff": True, "retry_backoff_max": 600, "max_retries": 5}
# A task reading and writing the database: retried while the database is briefly unreachable.
DB_TASK = {"autoretry_for": (OperationalError,), **RETRY}


@shared_task(**DB_TASK)
def purge_rate_counts_task() -> int:
    """Forget the counters of limited doors once their windows are long gone."""
    return purge_old_counts()


@shared_task
def heartbeat_task() -> None:
    """Sent by beat every minute, run by a worker: the row it writes proves both alive
    (/readyz). Not retried: the next minute brings the next one."""
    record_heartbeat()
