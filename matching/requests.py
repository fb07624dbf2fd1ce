"""What a web request asks of matching for a task to do (R-MAT-2, R-MAT-5): the customer's choice
among the recommendations, "show me others", and an operator's batch assignment. Each records
the request in one transaction and queues the task once committed; the views and the API call
these, the task then runs a service of matching/services/.

They sit above matching.tasks, which imports the services it runs: the services never import
the tasks, so nothing here can form a cycle.
"""

from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _

from orders.models import Order
from orders.services.lifecycle import reprice_for_provider
from providers.models import ServiceArea

from .batch.plan import orders_for_batch, plan_batch
from .models import BatchRun, Recommendation
from .services.batch import NO_REASON, BatchError
from .services.recommendations import (
    RecommendationError,
    choose,
    customers_requested_order,
    pass_over,
    shown_for_update,
)
from .tasks import enqueue_batch, enqueue_match


@transaction.atomic
def choose_provider(*, order: Order, provider_id: int, customer) -> Recommendation:
    """The customer picks one of the shown providers, at the price shown for them (the order
    is priced for that provider's tier in this transaction); a task then makes the offer
    (R-MAT-2)."""
    order = customers_requested_order(order, customer)
    shown = shown_for_update(order)
    picked = next((r for r in shown if r.provider_id == provider_id), None)
    if picked is None:
        raise RecommendationError(_("This provider is no longer on offer; please pick another."))
    choose(picked, shown)
    # The customer pays the price shown for the provider they chose (R-ORD-2).
    reprice_for_provider(order=order, provider=picked.provider, actor=customer)
    enqueue_match(order.pk)
    return picked


@transaction.atomic
def ask_for_other_providers(*, order: Order, customer) -> int:
    """The customer wants others: the shown ones are passed over and never shown again; a task
    computes the next round. Returns how many were passed."""
    order = customers_requested_order(order, customer)
    shown = shown_for_update(order)
    if not shown:
        raise RecommendationError(_("Your recommendations are still being prepared."))
    pass_over(shown)
    enqueue_match(order.pk)
    return len(shown)


@transaction.atomic
def request_batch(*, area: ServiceArea, day: date, actor, reason: str) -> BatchRun:
    """Record the operator's request with the plan they saw; the task runs it on commit
    (`services.batch.run_batch`)."""
    reason = reason.strip()
    if not reason:
        raise BatchError({"reason": _(NO_REASON)})
    orders = list(orders_for_batch(area=area, day=day))
    if not orders:
        raise BatchError(_("No order in this area waits for a provider that day."))
    plan = plan_batch(orders)
    run = BatchRun.objects.create(
        area=area,
        day=day,
        requested_by=actor,
        reason=reason,
        order_ids=[order.pk for order in orders],
        plan=plan.as_json(),
    )
    enqueue_batch(run.pk)
    return run
