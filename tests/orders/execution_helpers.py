"""Helpers for tests that take a job through arrival check-in and completion (R-ORD-6)."""

import time_machine

from orders.models import ArrivalCheckIn, Order
from orders.services import execution, lifecycle

REPORT = "Cleaned the kitchen, the bathroom and two rooms."


def check_in(order: Order, *, differences: str = "") -> ArrivalCheckIn:
    """Check in as the assigned provider at the job's start time, every item ticked. The
    contract must be signed by both (see contract_factories.sign_both)."""
    order = Order.objects.select_related("provider__user", "service_type").get(pk=order.pk)
    with time_machine.travel(order.starts_at, tick=False):
        return execution.check_in(
            order=order,
            provider=order.provider,
            confirmed_items=execution.check_in_items(order),
            differences=differences,
        )


def check_in_and_start(order: Order) -> Order:
    check_in(order)
    order = Order.objects.select_related("provider").get(pk=order.pk)
    return lifecycle.start_job(order=order, provider=order.provider)


def complete(order: Order, *, summary: str = REPORT, options_done=None) -> Order:
    order = Order.objects.select_related("provider").get(pk=order.pk)
    return lifecycle.complete_job(
        order=order, provider=order.provider, summary=summary, options_done=options_done
    )
