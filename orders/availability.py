"""Which start times can be booked, cached between the changes that could alter the answer.

Slot searches and quotes are the most frequent requests (a customer tries several days and
sizes before booking) and each reads a whole day of schedules. Their answers are kept in the
cache under a version number that is bumped, once the transaction commits, whenever something
that decides availability changes: an order with a provider (confirmed, started, cancelled,
rescheduled...), a provider's status, tier, skills, areas, working hours or time off, or a
service's required skills. A new order waiting for a provider changes nobody's time, so the
common booking path leaves the cache alone. AVAILABILITY_CACHE_SECONDS also bounds any entry's
life.

The cache only ever answers "is somebody free": confirming a provider re-checks their schedule
under a lock and the database's exclusion constraint, so a stale answer can at worst let a
customer book a time that then finds no provider, never double-book one.
"""

import logging
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import timezone

from providers.models import Provider, ProviderSkill, ServiceArea, TimeOff, WorkingHours

from . import scheduling
from .models import Order, ServiceType

VERSION_KEY = "availability:version"

logger = logging.getLogger(__name__)


def _version() -> int:
    version = cache.get(VERSION_KEY)
    if version is None:
        # Start from the clock, so a version lost with the cache never reuses old entries.
        version = int(timezone.now().timestamp() * 1000)
        cache.add(VERSION_KEY, version, timeout=None)
        version = cache.get(VERSION_KEY, version)
    return version


def availability_changed() -> None:
    """Forget every cached answer once the current transaction commits."""

    def bump():
        try:
            cache.incr(VERSION_KEY)
        except ValueError:  # no version yet (or the cache was flushed): nothing to forget
            pass
        except Exception:  # entries still expire after AVAILABILITY_CACHE_SECONDS
            logger.warning("Availability cache unreachable; version not bumped", exc_info=True)

    transaction.on_commit(bump)


def start_times(
    *, service_type: ServiceType, area: ServiceArea, day: date, duration: timedelta
) -> list[time]:
    """scheduling.available_start_times for the standard start times, cached."""
    try:
        key = (
            f"availability:{_version()}:{service_type.pk}:{area.pk}:{day.isoformat()}:"
            f"{int(duration.total_seconds() // 60)}"
        )
        cached = cache.get(key)
    except Exception:  # the cache is a shortcut: without it, ask the database
        logger.warning("Availability cache unreachable; reading schedules", exc_info=True)
        key, cached = None, None
    if cached is not None:
        return [time.fromisoformat(value) for value in cached]
    times = scheduling.available_start_times(
        service_type=service_type, area=area, day=day, duration=duration
    )
    if key is not None:
        try:
            cache.set(
                key, [t.isoformat() for t in times], timeout=settings.AVAILABILITY_CACHE_SECONDS
            )
        except Exception:
            logger.warning("Availability cache unreachable; answer not kept", exc_info=True)
    return times


def is_start_available(
    *, service_type: ServiceType, area: ServiceArea, starts_at: datetime, ends_at: datetime
) -> bool:
    """Whether anybody can take a job then: from the cached day when the start is one of the
    standard start times, else asked of the database."""
    local_start = timezone.localtime(starts_at)
    if local_start.time() in scheduling.START_TIMES:
        return local_start.time() in start_times(
            service_type=service_type,
            area=area,
            day=local_start.date(),
            duration=ends_at - starts_at,
        )
    return scheduling.is_start_available(
        service_type=service_type, area=area, starts_at=starts_at, ends_at=ends_at
    )


def _order_saved(sender, instance: Order, created: bool, **kwargs) -> None:
    if created and instance.provider_id is None:
        return  # a new order waiting for a provider takes nobody's time
    availability_changed()


def _changed(sender, **kwargs) -> None:
    availability_changed()


def connect() -> None:
    post_save.connect(_order_saved, sender=Order, dispatch_uid="availability-order-saved")
    post_delete.connect(_changed, sender=Order, dispatch_uid="availability-order-deleted")
    for model in (Provider, ProviderSkill, WorkingHours, TimeOff):
        post_save.connect(_changed, sender=model, dispatch_uid=f"availability-{model.__name__}")
        post_delete.connect(
            _changed, sender=model, dispatch_uid=f"availability-{model.__name__}-deleted"
        )
    for through in (Provider.areas.through, ServiceType.required_skills.through):
        m2m_changed.connect(
            _changed, sender=through, dispatch_uid=f"availability-{through.__name__}"
        )
