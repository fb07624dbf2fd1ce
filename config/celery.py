"""The Celery app. Periodic work is declared here, in one schedule."""

import os

from celery import Celery
from celery.schedules import crontab
from celery.signals import after_setup_logger, after_setup_task_logger
from django.conf import settings

from core.logs import JsonFormatter

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("homeservices")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@after_setup_logger.connect
@after_setup_task_logger.connect
def _json_logs(logger, **_kwargs) -> None:
    """Workers and beat log through Celery's own handlers: JSON too when the settings say so."""
    if settings.LOG_FORMAT == "json":
        for handler in logger.handlers:
            handler.setFormatter(JsonFormatter())


def _run(task: str, **when) -> dict:
    """A beat entry: `task` on the crontab `when` (minute=..., hour=...)."""
    return {"task": task, "schedule": crontab(**when)}


app.conf.beat_schedule = {
    # Re-drives orders a lost message left waiting for a match.
    "sweep-unmatched-orders": _run("matching.tasks.sweep_unmatched_orders_task", minute="*/5"),
    # Passes offers nobody answered in time to the next candidate.
    "expire-stale-offers": _run("matching.tasks.expire_stale_offers_task", minute="*"),
    # Lists the provider feedback calls a lost message left out (R-VET-8).
    "sweep-feedback-calls": _run("reviews.tasks.sweep_feedback_calls_task", minute=17),
    # Forgets the mobile API's Idempotency-Keys once they are a day old.
    "purge-idempotency-keys": _run("orders.tasks.purge_idempotency_keys_task", minute=41),
    # Books the next dates of recurring cleaning series, once per series and date.
    "create-recurring-orders": _run("orders.tasks.create_recurring_orders_task", minute=23),
    # Reminds customers and providers of confirmed jobs starting tomorrow, once per order.
    "send-day-before-reminders": _run("orders.tasks.send_day_before_reminders_task", minute=7),
    # Asks the gateway about payments nobody reported on (a lost callback) and settles them.
    "sweep-payments": _run("payments.tasks.sweep_payments", minute="*/5"),
    # Hands the outbox's waiting work to the workers: what a broker outage or a lost queue held.
    "relay-outbox": _run("core.outbox.relay_outbox_task", minute="*"),
    # Beat sends it, a worker runs it: the row it writes proves both alive (/readyz).
    "heartbeat": _run("core.tasks.heartbeat_task", minute="*"),
    # Deletes the API tokens that expired a month ago (revoked ones with them).
    "purge-api-tokens": _run("accounts.tasks.purge_api_tokens_task", hour=4, minute=31),
    # Forgets the counters of limited doors (logins, codes, SMS) a day after their window.
    "purge-rate-counts": _run("core.tasks.purge_rate_counts_task", minute=53),
    # Warns providers whose certificate of no criminal record expires soon; suspends the expired.
    "check-certificate-expiry": _run(
        "providers.tasks.check_certificate_expiry_task", hour=6, minute=0
    ),
}
