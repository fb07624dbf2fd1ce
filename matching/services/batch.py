"""The batch assignment's writes (R-MAT-5): offer each order of a batch to its planned provider
(`assign_batch`), and run or fail an operator's recorded request (`run_batch`, `fail_batch`,
called by `run_batch_task`). The plan itself is computed by matching/batch/; the request is
recorded, and the task queued, by `matching.requests.request_batch`.

Offers, not confirmations. `assign_batch` offers each order to its planned provider (the offer
deadline, the provider's dashboard, accept or decline as for any offer, R-MAT-3) instead of
confirming directly: a provider is never committed to work they did not accept, and a decline
or a timeout passes the order to the next candidate through the usual loop. The plan guarantees
that a provider's offers never clash with each other (with the travel gap) nor with their
confirmed jobs or hour limits, so they can accept every one. Operators who must force a
provider use the manual assignment, which confirms with a reason.

The whole application is one transaction: the orders are locked (in id order), re-read, planned
again on fresh data and offered; if anything fails nothing is offered. `BatchRun` records who
asked, why, the plan they saw and what was done.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from orders.models import Order, OrderStatus
from orders.services import lifecycle as order_lifecycle

from ..batch.plan import BATCH_STATUSES, BatchPlan, plan_batch
from ..models import BatchRun, BatchStatus, Offer, OfferStatus, Recommendation, RecommendationStatus
from .offers import make_offer

NO_REASON = gettext_noop("Say why you are assigning these orders in a batch.")


class BatchError(ValidationError):
    pass


@transaction.atomic
def assign_batch(*, orders, actor, reason: str) -> BatchPlan:
    """Offer each of the orders to its provider in the best assignment (see the module doc).
    Orders no longer waiting for a provider are skipped and reported as left."""
    reason = reason.strip()
    if not reason:
        raise BatchError(_(NO_REASON))
    ids = sorted({order.pk for order in orders})
    locked = list(
        Order.objects.select_for_update(of=("self",))
        .filter(pk__in=ids)
        .select_related("service_type", "area")
        .order_by("pk")
    )
    open_offers = set(
        Offer.objects.filter(order__in=ids, status=OfferStatus.PENDING).values_list(
            "order_id", flat=True
        )
    ) | set(
        Recommendation.objects.filter(order__in=ids, status=RecommendationStatus.SHOWN).values_list(
            "order_id", flat=True
        )
    )
    waiting = [o for o in locked if o.status in BATCH_STATUSES and o.pk not in open_offers]
    changed = [o for o in locked if o not in waiting]
    plan = plan_batch(waiting)
    for pair in plan.assigned:
        order = pair.order
        if order.status == OrderStatus.NO_PROVIDER:
            order = order_lifecycle.reopen_for_matching(
                order=order, actor=actor, reason=gettext_noop("Batch assignment by an operator")
            )
        make_offer(
            order=order,
            provider_id=pair.provider_id,
            reason=gettext_noop("Offered in an operator's batch assignment"),
            actor=actor,
        )
    plan.left.extend((order, "changed") for order in changed)
    return plan


def run_batch(*, run_id: int) -> BatchRun | None:
    """Do a requested run once: safe to run twice (a finished run is left alone), and a
    worker killed midway leaves it pending with nothing offered (one transaction)."""
    with transaction.atomic():
        run = BatchRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None or run.status != BatchStatus.PENDING:
            return run
        plan = assign_batch(
            orders=Order.objects.filter(pk__in=run.order_ids),
            actor=run.requested_by,
            reason=run.reason,
        )
        run.status = BatchStatus.DONE
        run.result = plan.as_json()
        run.total_score = plan.total_score
        run.greedy_score = plan.greedy_score
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "result", "total_score", "greedy_score", "finished_at"])
        return run


@transaction.atomic
def fail_batch(*, run_id: int, error: str) -> None:
    """The task gave up: say so on the run (the operator sees it on the result page)."""
    BatchRun.objects.filter(pk=run_id, status=BatchStatus.PENDING).update(
        status=BatchStatus.FAILED, error=error[:2000], finished_at=timezone.now()
    )
