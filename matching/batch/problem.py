"""A batch of orders as the pure problem of `matching.batch.solver` (R-MAT-5), built in a fixed
number of bulk queries (about fifteen), however many orders and providers.

Everyone who could serve any of the orders is read once (`pool.Pool`); then the rules are
decided for every (order, provider) pair at once over columns: the standing rules of
matching/eligibility.py (the ones ranking uses: qualified, skilled, working hours covering the
job, not on time off, in the order's area or within the provider's travel radius of its point),
then `pool.free` (clear of confirmed jobs with the travel gap, daily and weekly hours); a
provider already offered the order, passed over by the customer, or the one a guarantee redo
avoids, is left out, as in `selectors.candidates_for`. Scores are `matching.scoring`'s formula
over columns (`part_columns`, equal to `scoring.score`, the function that ranks
recommendations). tests/matching/test_batch*.py check that the candidates and scores equal
`selectors.ranked_candidates` and the SQL reference.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from django.conf import settings
from django.db.models import Avg
from django.utils import timezone

from core.db import id_array
from orders.geo import order_point
from orders.models import Order
from orders.scheduling import gap_between_jobs

from .. import scoring
from ..eligibility import JobTerms, eligible, within_reach
from ..models import Offer, Recommendation, RecommendationStatus
from .pool import Pool, Times
from .solver import Job, Problem

SECOND = 1_000_000  # microseconds


@dataclass
class BatchProblem:
    orders: list[Order]
    problem: Problem
    scores: PairScores  # (order id, provider id) -> Score


class PairScores:
    """(order id, provider id) -> the pair's Score, built when asked for: the problem needs
    only the totals (`scoring.total_columns`, the same formula), the plan only its pairs'."""

    def __init__(
        self,
        pairs: list[tuple[int, int]],
        features: scoring.FeatureColumns | None,
        weights: scoring.Weights | None,
    ):
        self._index = dict(zip(pairs, range(len(pairs)), strict=True))  # pair -> feature row
        self._features = features
        self._weights = weights

    def __getitem__(self, pair: tuple[int, int]) -> scoring.Score:
        return scoring.score(self._features.features(self._index[pair]), self._weights)

    def __contains__(self, pair) -> bool:
        return pair in self._index

    def __len__(self) -> int:
        return len(self._index)


@dataclass
class Pairs:
    """(order, provider) pairs as columns: the order's index in the batch, the provider's row
    in the pool's roster, and the distance between the job and the provider's home (NaN when
    either has no point). Sorted by order, then provider id."""

    order: np.ndarray
    row: np.ndarray
    distance_km: np.ndarray

    def where(self, keep: np.ndarray) -> Pairs:
        return Pairs(self.order[keep], self.row[keep], self.distance_km[keep])


def _seconds(duration: timedelta | None) -> int:
    return int((duration or timedelta(0)).total_seconds())


def build_problem(orders, *, weights: scoring.Weights | None = None) -> BatchProblem:
    """The pure problem for these orders (see the module doc), in bulk queries; the rules are
    decided for every pair at once over numpy columns."""
    orders = list(orders)
    if not orders:
        return BatchProblem(
            orders=[], problem=Problem(jobs=(), scores={}), scores=PairScores([], None, None)
        )
    weights = weights or scoring.Weights.from_settings()
    times = Times(orders)
    pool = Pool(orders, times)
    pairs = _candidate_pairs(pool, orders, times, _left_out(orders))
    pairs = pairs.where(pool.free(pairs.row, pairs.order, times))
    features = _features(pool, orders, pairs, times)
    totals = scoring.total_columns(scoring.part_columns(features, weights)).tolist()

    order_ids = [order.pk for order in orders]
    provider_ids = features.provider_id.tolist()
    # Pairs come order by order, each order's by provider id: slice them per order.
    bounds = np.searchsorted(pairs.order, np.arange(len(orders) + 1)).tolist()
    day_of, week_of = times.day[pairs.order], times.week[pairs.order]
    problem = Problem(
        jobs=tuple(
            Job(
                order.pk,
                int(order.starts_at.timestamp()),
                int(order.ends_at.timestamp()),
                times.days[day],
                times.weeks[week],
            )
            for order, day, week in zip(
                orders, times.day.tolist(), times.week.tolist(), strict=True
            )
        ),
        scores={
            order_id: dict(zip(provider_ids[first:last], totals[first:last], strict=True))
            for order_id, first, last in zip(order_ids, bounds, bounds[1:], strict=False)
        },
        gap=_seconds(gap_between_jobs()),
        day_limit=settings.MAX_WORK_HOURS_PER_DAY * 3600,
        week_limit=settings.MAX_WORK_HOURS_PER_WEEK * 3600,
        day_used=_seconds_worked(
            provider_ids, times.days, day_of, pool.day_worked[pairs.row, day_of]
        ),
        week_used=_seconds_worked(
            provider_ids, times.weeks, week_of, pool.week_worked[pairs.row, week_of]
        ),
    )
    pair_ids = list(zip(np.array(order_ids)[pairs.order].tolist(), provider_ids, strict=True))
    return BatchProblem(
        orders=orders, problem=problem, scores=PairScores(pair_ids, features, weights)
    )


def _seconds_worked(provider_ids: list[int], periods: list[date], period_of, worked) -> dict:
    """(provider id, local day or week) -> whole seconds already worked then, for each pair's
    provider and period (`worked`, in microseconds, by pair)."""
    keys = zip(provider_ids, [periods[i] for i in period_of.tolist()], strict=True)
    return dict(zip(keys, (worked // SECOND).tolist(), strict=True))


def _left_out(orders: list[Order]) -> dict[int, set[int]]:
    """order id -> providers never to be offered it: those already offered it, those the
    customer passed over, and the one a guarantee redo avoids."""
    order_ids = [order.pk for order in orders]
    left_out: dict[int, set[int]] = defaultdict(set)
    # Without the models' default ordering: SQLite (the embedded mode) refuses ORDER BY in
    # the parts of a UNION.
    for order_id, provider_id in (
        Offer.objects.filter(order__in=id_array(order_ids))
        .order_by()
        .values_list("order_id", "provider_id")
        .union(
            Recommendation.objects.filter(
                order__in=id_array(order_ids), status=RecommendationStatus.PASSED
            )
            .order_by()
            .values_list("order_id", "provider_id")
        )
    ):
        left_out[order_id].add(provider_id)
    for order in orders:
        if order.avoid_provider_id:
            left_out[order.pk].add(order.avoid_provider_id)
    return left_out


def _candidate_pairs(pool: Pool, orders, times: Times, left_out) -> Pairs:
    """Every (order, provider) pair passing the rules that do not depend on the provider's jobs
    (`eligibility.eligible`) and not left out. The orders of one point are taken together: the
    distances to it are computed once; orders at the same times share their standing column."""
    roster = pool.roster
    by_point: dict[tuple | None, list[int]] = defaultdict(list)
    for i, order in enumerate(orders):
        by_point[order_point(order)].append(i)
    standing: dict[JobTerms, np.ndarray] = {}  # eligible's memo, for the whole batch
    found: list = [None] * len(orders)
    for point, indexes in by_point.items():
        distance = np.full(len(roster), np.nan) if point is None else roster.distance_km(point)
        nearby = within_reach(roster, point, distance)
        serving: dict[int, np.ndarray] = {}  # area id -> who serves it or reaches the point
        for i in indexes:
            order = orders[i]
            local_start, local_end = times.local[i]
            terms = JobTerms.of(
                service_type=order.service_type,
                skill_ids=pool.needs[order.service_type_id],
                local_start=local_start,
                local_end=local_end,
            )
            if order.area_id not in serving:
                serving[order.area_id] = pool.serving(order.area_id, nearby)
            rows = np.flatnonzero(
                eligible(roster, terms, serving=serving[order.area_id], memo=standing)
            )
            if order.pk in left_out:
                rows = rows[~np.isin(roster.ids[rows], list(left_out[order.pk]))]
            found[i] = (rows, distance[rows])
    return Pairs(
        order=np.repeat(np.arange(len(orders)), [len(rows) for rows, _distance in found]),
        row=np.concatenate([rows for rows, _distance in found]),
        distance_km=np.concatenate([distance for _rows, distance in found]),
    )


def _features(pool: Pool, orders, pairs: Pairs, times: Times) -> scoring.FeatureColumns:
    """Every pair's CandidateFeatures as columns, as the ranking computes them: the roster's
    rating, completed jobs of the service and rewards, the distance to 10 m, the week's hours to
    the 1/10,000, the customer's good past ratings (one query) and the preferred provider."""
    roster = pool.roster
    rows = pairs.row
    ids = roster.ids[rows]
    services = sorted({order.service_type_id for order in orders})
    service_index = {service_id: i for i, service_id in enumerate(services)}
    of_service = np.array([service_index[order.service_type_id] for order in orders])
    service_jobs = np.stack([roster.service_jobs(service_id) for service_id in services])
    customers = np.array([order.customer_id for order in orders], dtype=np.int64)
    preferred = np.array(
        [getattr(order, "preferred_provider_id", None) or 0 for order in orders], dtype=np.int64
    )
    rated_well = (
        Order.objects.filter(
            customer__in=id_array({order.customer_id for order in orders}),
            provider__in=id_array(roster.ids.tolist()),
            customer_rating__isnull=False,
        )
        .order_by()
        .values("customer", "provider")
        .annotate(average=Avg("customer_rating"))
        .filter(average__gte=scoring.GOOD_RATING)
        .values_list("customer", "provider")
    )
    # (customer, provider) as one integer, to look every pair up at once.
    stride = int(roster.ids.max(initial=0)) + 1
    good = np.array([customer * stride + provider for customer, provider in rated_well], np.int64)
    worked = pool.week_worked[rows, times.week[pairs.order]] // SECOND
    return scoring.FeatureColumns(
        provider_id=ids,
        rating=roster.rating[rows],
        rating_count=roster.rating_count[rows],
        kpi_percent=np.full(len(rows), np.nan),  # no quality KPI yet, as in the ranking
        service_jobs=service_jobs[of_service[pairs.order], rows],
        distance_km=scoring.rounded(pairs.distance_km, 2),
        past_good_with_customer=np.isin(customers[pairs.order] * stride + ids, good),
        week_hours=scoring.rounded(worked / 3600, 4),
        rewarded=roster.rewarded(timezone.now())[rows],
        preferred=ids == preferred[pairs.order],
    )
