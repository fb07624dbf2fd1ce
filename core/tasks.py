import logging

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import OperationalError
from kombu.exceptions import OperationalError as BrokerUnavailable

from .sms import SmsDeliveryError, send_sms
from .throttle import purge_old_counts

logger = logging.getLogger(__name__)

# Transient failures are retried with exponential backoff, five times at most; a business
# refusal is an outcome, not a failure, and is never retried.
RETRY = {"retry_backoff": True, "retry_backoff_max": 600, "max_retries": 5}
# A task reading and writing the database: retried while the database is briefly unreachable.
DB_TASK = {"autoretry_for": (OperationalError,), **RETRY}


@shared_task(autoretry_for=(SmsDeliveryError, OSError), **RETRY)
def send_sms_task(to: str, text: str) -> None:
    send_sms(to=to, text=text)


@shared_task(autoretry_for=(OSError,), **RETRY)
def send_email_task(subject: str, body: str, to: str) -> None:
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to])


def delay_or_log(task, *args) -> bool:
    """Queue a task; if the broker is down, log it and return False instead of failing the caller.

    Callers whose work must not be lost also have a periodic sweep to catch up.
    """
    try:
        task.delay(*args)
    except BrokerUnavailable:
        logger.warning("Broker unreachable; %s%r not queued", task.name, args)
        return False
    return True


@shared_task(**DB_TASK)
def purge_rate_counts_task() -> int:
    """Forget the counters of limited doors once their windows are long gone."""
    return purge_old_counts()
