"""Periodic vetting work; scheduled in config/celery.py."""

from celery import shared_task

from .services import documents


@shared_task
def check_certificate_expiry_task() -> dict[str, int]:
    """Daily: warn providers whose certificate expires soon, suspend those whose has expired."""
    return documents.check_certificate_expiry()
