"""The Celery app. Periodic work is declared here, in one schedule."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("homeservices")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    # Re-drives orders a lost message left waiting for a match.
    "sweep-unmatched-orders": {
        "task": "matching.tasks.sweep_unmatched_orders_task",
        "schedule": crontab(minute="*/5"),
    },
    # Passes offers nobody answered in time to the next candidate.
    "expire-stale-offers": {
        "task": "matching.tasks.expire_stale_offers_task",
        "schedule": crontab(minute="*"),
    },
    # Lists the provider feedback calls a lost message left out (R-VET-8).
    "sweep-feedback-calls": {
        "task": "reviews.tasks.sweep_feedback_calls_task",
        "schedule": crontab(minute=17),
    },
    # Forgets the mobile API's Idempotency-Keys once they are a day old.
    "purge-idempotency-keys": {
        "task": "orders.tasks.purge_idempotency_keys_task",
        "schedule": crontab(minute=41),
    },
    # Books the next dates of recurring cleaning series, once per series and date.
    "create-recurring-orders": {
        "task": "orders.tasks.create_recurring_orders_task",
        "schedule": crontab(minute=23),
    },
    # Reminds customers and providers of confirmed jobs starting tomorrow, once per order.
    "send-day-before-reminders": {
        "task": "orders.tasks.send_day_before_reminders_task",
        "schedule": crontab(minute=7),
    },
    # Warns providers whose certificate of no criminal record expires soon; suspends the expired.
    "check-certificate-expiry": {
        "task": "providers.tasks.check_certificate_expiry_task",
        "schedule": crontab(hour=6, minute=0),
    },
}
