"""The batch's reads (R-MAT-5): the orders a batch may place, the best plan for them now
(nothing is saved), and what a finished run did, for the operators' pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_noop

from orders.models import Order, OrderStatus
from providers.models import Provider, ServiceArea

from .. import scoring
from ..models import BatchRun, Offer, OfferStatus, Recommendation, RecommendationStatus
from .pool import local_midnight
from .problem import build_problem
from .solver import Assignment, assign_optimal

# Orders a batch may place: waiting for a provider, with no open offer and no customer
# choosing among recommendations.
BATCH_STATUSES = (OrderStatus.REQUESTED, OrderStatus.NO_PROVIDER)

LEFT_REASONS = {
    "no_candidate": gettext_noop("Nobody eligible is free then"),
    "outbid": gettext_noop("Every eligible provider is planned for other orders then"),
    "changed": gettext_noop("No longer waiting for a provider, or the customer is choosing"),
}


def orders_for_batch(*, area: ServiceArea, day: date):
    """The area's orders starting on the local `day` that wait for a provider with no open
    offer, earliest first."""
    open_offer = Offer.objects.filter(order=OuterRef("pk"), status=OfferStatus.PENDING)
    # A customer choosing among recommendations (R-MAT-2) is not overruled by a batch.
    choosing = Recommendation.objects.filter(
        order=OuterRef("pk"), status=RecommendationStatus.SHOWN
    )
    return (
        Order.objects.filter(
            area=area,
            status__in=BATCH_STATUSES,
            starts_at__gte=local_midnight(day),
            starts_at__lt=local_midnight(day + timedelta(days=1)),
        )
        .exclude(Exists(open_offer))
        .exclude(Exists(choosing))
        .select_related("service_type", "area", "customer")
        .order_by("starts_at", "pk")
    )


@dataclass
class PlannedPair:
    order: Order
    provider_id: int
    score: scoring.Score
    provider: Provider | None = None  # loaded for display by plan_batch(with_providers=True)


@dataclass
class BatchPlan:
    assigned: list[PlannedPair]
    left: list[tuple[Order, str]]  # (order, a LEFT_REASONS code)
    assignment: Assignment

    @property
    def total_score(self) -> float:
        return self.assignment.total_score

    @property
    def greedy_score(self) -> float:
        return self.assignment.greedy_score

    def as_json(self) -> dict:
        return {
            "assigned": [
                {"order": p.order.pk, "provider": p.provider_id, "score": p.score.total}
                for p in self.assigned
            ],
            "left": [{"order": order.pk, "why": why} for order, why in self.left],
            "total_score": self.assignment.total_score,
            "greedy_score": self.assignment.greedy_score,
            "greedy_placed": self.assignment.greedy_placed,
            "method": self.assignment.method,
            "proven_optimal": self.assignment.proven_optimal,
        }


def plan_batch(orders, *, weights=None, with_providers: bool = False) -> BatchPlan:
    """The best assignment of these orders now (nothing is saved). `with_providers` also
    loads the planned providers with their users, for showing names (one query)."""
    built = build_problem(orders, weights=weights)
    assignment = assign_optimal(built.problem)
    assigned, left = [], []
    for order in built.orders:
        provider_id = assignment.pairs.get(order.pk)
        if provider_id is not None:
            assigned.append(PlannedPair(order, provider_id, built.scores[(order.pk, provider_id)]))
        else:
            has_candidates = bool(built.problem.scores.get(order.pk))
            left.append((order, "outbid" if has_candidates else "no_candidate"))
    if with_providers and assigned:
        providers = Provider.objects.select_related("user").in_bulk(
            {pair.provider_id for pair in assigned}
        )
        for pair in assigned:
            pair.provider = providers[pair.provider_id]
    return BatchPlan(assigned, left, assignment)


def run_rows(run: BatchRun) -> dict:
    """What the result page lists: the orders offered with their providers, and those left.
    Two queries."""
    result = run.result or {}
    assigned = result.get("assigned", [])
    left = result.get("left", [])
    orders = Order.objects.select_related("service_type").in_bulk(
        [row["order"] for row in assigned] + [row["order"] for row in left]
    )
    providers = Provider.objects.select_related("user").in_bulk(
        [row["provider"] for row in assigned]
    )
    return {
        "assigned": [
            (orders.get(row["order"]), providers.get(row["provider"]), row["score"])
            for row in assigned
        ],
        "left": [(orders.get(row["order"]), row["why"]) for row in left],
    }
