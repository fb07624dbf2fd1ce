"""Fifty simultaneous confirmations of one provider for one slot (R-ORD-5): exactly one wins,
the others get the clear double-booking error, and nothing of theirs is half-saved.

Runs against PostgreSQL built from the migrations (the exclusion constraint of orders/0002 and
the triggers of 0003 are part of the test); skipped with --nomigrations or on SQLite."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from matching import services as matching_services
from matching.models import Offer, OfferStatus
from orders.models import Order, OrderEvent, OrderStatus
from orders.services import common as order_common
from orders.services import lifecycle as order_lifecycle
from tests.factories import CustomerFactory, OrderFactory, ProviderFactory, local_datetime

RACERS = 50
BOOKED = "This provider is already booked at that time."


@pytest.fixture
def postgresql_with_migrations(request):
    if request.config.getoption("nomigrations"):
        pytest.skip("needs the database built from the migrations (exclusion constraint)")
    if connection.vendor != "postgresql":
        pytest.skip("the race is decided by PostgreSQL row locks and its exclusion constraint")


def race(calls):
    """Run every call at the same moment, each in its own thread and database connection.
    Returns (successes, errors) in no particular order."""
    barrier = threading.Barrier(len(calls))
    results, errors, lock = [], [], threading.Lock()

    def run(call):
        try:
            barrier.wait(timeout=30)
            result = call()
            with lock:
                results.append(result)
        except Exception as error:  # every outcome is asserted by the caller
            with lock:
                errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return results, errors


def same_slot_orders(provider, service, area):
    starts_at = local_datetime(2, 10)
    return [
        OrderFactory(
            customer=CustomerFactory(),
            service_type=service,
            area=area,
            status=OrderStatus.OFFERED,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=2),
        )
        for _ in range(RACERS)
    ]


def assert_one_winner(provider, orders, results, errors):
    assert len(results) == 1
    assert len(errors) == RACERS - 1
    assert {type(error) for error in errors} == {order_common.DoubleBookingError}
    assert {message for error in errors for message in error.messages} == {BOOKED}
    winner = Order.objects.get(provider=provider, status=OrderStatus.CONFIRMED)
    assert winner.blocked_until == winner.ends_at + timedelta(minutes=30)
    losers = Order.objects.filter(pk__in=[o.pk for o in orders]).exclude(pk=winner.pk)
    assert losers.count() == RACERS - 1
    assert set(losers.values_list("status", flat=True)) == {OrderStatus.OFFERED}
    assert not losers.filter(Q(provider__isnull=False) | Q(blocked_until__isnull=False)).exists()
    assert OrderEvent.objects.filter(to_status=OrderStatus.CONFIRMED).count() == 1
    assert OrderEvent.objects.get(to_status=OrderStatus.CONFIRMED).order_id == winner.pk
    return winner


@pytest.mark.requirement("R-ORD-5", "R-MAT-1")
def test_fifty_simultaneous_confirmations_leave_exactly_one_booking(
    postgresql_with_migrations, transactional_db, service, area
):
    provider = ProviderFactory()
    orders = same_slot_orders(provider, service, area)
    calls = [
        lambda order=order: order_lifecycle.confirm_order(
            order=order, provider=provider, actor=provider.user
        )
        for order in orders
    ]
    results, errors = race(calls)
    winner = assert_one_winner(provider, orders, results, errors)
    assert results[0].pk == winner.pk


@pytest.mark.requirement("R-ORD-5", "R-MAT-5")
def test_fifty_simultaneous_offer_acceptances_leave_exactly_one_booking(
    postgresql_with_migrations, transactional_db, service, area
):
    provider = ProviderFactory()
    orders = same_slot_orders(provider, service, area)
    expires_at = timezone.now() + timedelta(minutes=30)
    offers = [
        Offer.objects.create(order=o, provider=provider, expires_at=expires_at) for o in orders
    ]
    calls = [
        lambda offer=offer: matching_services.accept_offer(offer=offer, provider=provider)
        for offer in offers
    ]
    results, errors = race(calls)
    assert len(results) == 1
    # The winner withdrew the provider's other offers at that time before the others got the
    # provider's row: each of them is told so, and its order goes back to matching.
    assert len(errors) == RACERS - 1
    assert {type(error) for error in errors} == {matching_services.OfferError}
    assert {m for error in errors for m in error.messages} == {"This offer is no longer open."}
    winner = Order.objects.get(provider=provider, status=OrderStatus.CONFIRMED)
    assert winner.pk == results[0].order_id
    assert Offer.objects.get(status=OfferStatus.ACCEPTED).order_id == winner.pk
    others = Offer.objects.exclude(order=winner)
    assert set(others.values_list("status", flat=True)) == {OfferStatus.WITHDRAWN}
    losers = Order.objects.filter(pk__in=[o.pk for o in orders]).exclude(pk=winner.pk)
    assert set(losers.values_list("status", flat=True)) == {OrderStatus.NO_PROVIDER}
    assert not losers.filter(Q(provider__isnull=False) | Q(blocked_until__isnull=False)).exists()
    assert OrderEvent.objects.filter(to_status=OrderStatus.CONFIRMED).count() == 1
