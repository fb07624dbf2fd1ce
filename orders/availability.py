"""Which start times can be booked, kept between the changes that could alter the answer.

Slot searches and quotes are the most frequent requests (a customer tries several days and
sizes before booking) and each reads a whole day of schedules. Their answers are kept in the
shared cache (core.kept.KeptAnswers) under a version number that is bumped, once the
transaction commits, whenever something that decides availability changes: an order with a
provider (confirmed, started, cancelled, rescheduled...), a provider's status, tier, skills,
areas, working hours or time off, or a service's required skills. A new order waiting for a
provider changes nobody's time, so the common booking path leaves the cache alone.
AVAILABILITY_CACHE_SECONDS also bounds any entry's life.

The cache only ever answers "is somebody free": confirming a provider re-checks their schedule
under a lock and the database's exclusion constraint, so a stale answer can at worst let a
customer book a time that then finds no provider, never double-book one.
"""

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import timezone

from core.kept import KeptAnswers, on_save_and_delete
from providers.models import Provider, ProviderSkill, ServiceArea, TimeOff, WorkingHours

from . import scheduling
from .models import Order, ServiceType

_answers = KeptAnswers("availability", timeout=lambda: settings.AVAILABILITY_CACHE_SECONDS)


def availability_changed() -> None:
    """Forget every kept answer once the current transaction commits."""
    _answers.changed()


def start_times(
    *, service_type: ServiceType, area: ServiceArea, day: date, duration: timedelta
) -> list[time]:
    """scheduling.available_start_times for the standard start times, kept between changes."""
    minutes = int(duration.total_seconds() // 60)
    return _answers.get(
        f"{service_type.pk}:{area.pk}:{day.isoformat()}:{minutes}",
        lambda: scheduling.available_start_times(
            service_type=service_type, area=area, day=day, duration=duration
        ),
        encode=lambda times: [t.isoformat() for t in times],
        decode=lambda values: [time.fromisoformat(value) for value in values],
    )


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
    on_save_and_delete(
        _changed, Provider, ProviderSkill, WorkingHours, TimeOff, name="availability"
    )
    for through in (Provider.areas.through, ServiceType.required_skills.through):
        m2m_changed.connect(
            _changed, sender=through, dispatch_uid=f"availability-{through.__name__}"
        )
