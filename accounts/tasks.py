from celery import shared_task

from core.tasks import DB_TASK

from .services import purge_old_tokens


@shared_task(**DB_TASK)
def purge_api_tokens_task() -> int:
    """Daily: delete the API tokens that expired more than 30 days ago. Safe to run twice."""
    return purge_old_tokens()
