from datetime import datetime, time, timedelta

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from core.outbox import after_commit
from core.tasks import DB_TASK

from . import notifications
from .api.idempotency import purge_expired_keys
from .models import Order, OrderStatus
from .services import recurring


@shared_task(**DB_TASK)
def purge_idempotency_keys_task() -> int:
    """Hourly: forget API Idempotency-Keys older than a day. Safe to run twice."""
    return purge_expired_keys()


@shared_task(**DB_TASK)
def send_day_before_reminders_task() -> int:
    """Hourly: remind the customer and the provider of each confirmed job starting tomorrow
    (local date). Each order is claimed by a conditional UPDATE, so it is reminded once however
    often or in however many workers this runs. Returns how many orders were reminded."""
    tomorrow = timezone.localdate() + timedelta(days=1)
    start = timezone.make_aware(datetime.combine(tomorrow, time.min))
    due = Order.objects.filter(
        status=OrderStatus.CONFIRMED,
        reminder_sent_at__isnull=True,
        starts_at__gte=start,
        starts_at__lt=start + timedelta(days=1),
    ).values_list("pk", flat=True)
    sent = 0
    for order_id in list(due):
        with transaction.atomic():
            claimed = Order.objects.filter(
                pk=order_id, status=OrderStatus.CONFIRMED, reminder_sent_at__isnull=True
            ).update(reminder_sent_at=timezone.now())
            if claimed:
                after_commit(notifications.tell_day_before, order_id)
                sent += 1
    return sent


@shared_task(**DB_TASK)
def create_recurring_orders_task() -> dict:
    """Hourly: book the dates of every active recurring series in the next
    RECURRING_HORIZON_DAYS. Safe to run twice or in two workers at once (one row per series and
    date, the series row locked while its dates are booked)."""
    run = recurring.create_upcoming_occurrences()
    return {"booked": run.booked, "skipped": run.skipped}
