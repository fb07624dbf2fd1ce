"""The cached slot search (orders/availability.py): repeated searches skip the database, and
every change that could alter who is free forgets the cached answers once it commits."""

from datetime import date, datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from orders import availability, scheduling
from orders.models import OrderStatus
from orders.services import lifecycle
from providers.models import TimeOff
from tests.factories import OrderFactory, ProviderFactory

pytestmark = pytest.mark.django_db

MONDAY = date(2026, 11, 23)
WEDNESDAY = MONDAY + timedelta(days=2)
TWO_HOURS = timedelta(hours=2)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


@pytest.fixture(autouse=True)
def _monday_morning(time_machine, settings):
    settings.TRAVEL_BUFFER_MINUTES = 30
    settings.MIN_REST_MINUTES = 30
    settings.MAX_WORK_HOURS_PER_DAY = 8
    settings.BOOKING_MIN_LEAD_MINUTES = 60
    time_machine.move_to(at(MONDAY, 6), tick=False)


def times(service, area):
    return availability.start_times(
        service_type=service, area=area, day=WEDNESDAY, duration=TWO_HOURS
    )


@pytest.mark.requirement("R-ORD-5")
def test_a_repeated_search_is_answered_without_the_database(service, area):
    ProviderFactory()
    first = times(service, area)
    assert first == scheduling.available_start_times(
        service_type=service, area=area, day=WEDNESDAY, duration=TWO_HOURS
    )
    with CaptureQueriesContext(connection) as captured:
        assert times(service, area) == first
    assert len(captured) == 0


@pytest.mark.requirement("R-ORD-5")
def test_a_confirmed_job_makes_its_times_disappear_once_it_commits(
    service, area, django_capture_on_commit_callbacks
):
    provider = ProviderFactory()
    assert time(10) in times(service, area)
    order = OrderFactory(
        service_type=service,
        area=area,
        status=OrderStatus.OFFERED,
        starts_at=at(WEDNESDAY, 10),
        ends_at=at(WEDNESDAY, 12),
    )
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.confirm_order(order=order, provider=provider, actor=provider.user)
    assert time(10) not in times(service, area)
    assert times(service, area) == scheduling.available_start_times(
        service_type=service, area=area, day=WEDNESDAY, duration=TWO_HOURS
    )


@pytest.mark.requirement("R-ORD-5")
def test_a_cancelled_job_brings_its_times_back(service, area, django_capture_on_commit_callbacks):
    provider = ProviderFactory()
    with django_capture_on_commit_callbacks(execute=True):
        order = OrderFactory(
            service_type=service,
            area=area,
            provider=provider,
            status=OrderStatus.CONFIRMED,
            starts_at=at(WEDNESDAY, 10),
            ends_at=at(WEDNESDAY, 12),
        )
    assert time(10) not in times(service, area)
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.cancel_order(order=order, actor=order.customer, reason="Plans changed")
    assert time(10) in times(service, area)


@pytest.mark.requirement("R-ORD-5")
def test_time_off_forgets_the_cached_day(service, area, django_capture_on_commit_callbacks):
    provider = ProviderFactory()
    assert times(service, area)
    with django_capture_on_commit_callbacks(execute=True):
        TimeOff.objects.create(provider=provider, starts_on=WEDNESDAY, ends_on=WEDNESDAY)
    assert times(service, area) == []


@pytest.mark.requirement("R-ORD-5")
def test_a_new_order_waiting_for_a_provider_keeps_the_cache(
    service, area, django_capture_on_commit_callbacks
):
    ProviderFactory()
    times(service, area)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        OrderFactory(service_type=service, area=area, status=OrderStatus.REQUESTED)
    assert callbacks == []
    with CaptureQueriesContext(connection) as captured:
        times(service, area)
    assert len(captured) == 0


@pytest.mark.requirement("R-ORD-5")
def test_without_a_reachable_cache_the_database_answers(service, area, settings):
    ProviderFactory()
    expected = scheduling.available_start_times(
        service_type=service, area=area, day=WEDNESDAY, duration=TWO_HOURS
    )
    # Nothing listens on port 1: every cache call fails.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2},
        }
    }
    assert times(service, area) == expected
    assert availability.is_start_available(
        service_type=service, area=area, starts_at=at(WEDNESDAY, 10), ends_at=at(WEDNESDAY, 12)
    )


@pytest.mark.requirement("R-ORD-5")
def test_is_start_available_agrees_with_the_database_on_and_off_the_grid(service, area):
    provider = ProviderFactory()
    OrderFactory(
        provider=provider,
        status=OrderStatus.CONFIRMED,
        starts_at=at(WEDNESDAY, 13),
        ends_at=at(WEDNESDAY, 15),
    )
    for starts_at in (at(WEDNESDAY, 9), at(WEDNESDAY, 11, 30), at(WEDNESDAY, 11, 10)):
        ends_at = starts_at + TWO_HOURS
        assert availability.is_start_available(
            service_type=service, area=area, starts_at=starts_at, ends_at=ends_at
        ) == scheduling.is_start_available(
            service_type=service, area=area, starts_at=starts_at, ends_at=ends_at
        ), starts_at
