from celery import shared_task
from django.db import OperationalError

from .api.idempotency import purge_expired_keys


@shared_task(
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=5,
)
def purge_idempotency_keys_task() -> int:
    """Hourly: forget API Idempotency-Keys older than a day. Safe to run twice."""
    return purge_expired_keys()
