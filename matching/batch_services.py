"""Batch assignment against the database (R-MAT-5): build the problem, plan, apply.

`build_problem` turns a set of orders into the pure problem of `matching.batch` in a fixed
number of bulk queries (about fifteen), however many orders and providers: everyone who could
serve any of the orders with their skills, areas, working hours, time off, workload and blocking
jobs (`_Pool`), then the providers' ranking fields, completed jobs per service and customers'
good past ratings. Each pair is decided in Python with the rules of `orders.scheduling`
(qualified_providers: bookable, probation per setting, tier; serving: the order's area or within
the provider's travel radius of the order's point; every required skill; no time off that day;
then `is_free`: working hours, clear of confirmed jobs with the travel gap, daily and weekly
hours); a provider already offered the order, or the one a guarantee redo avoids, is left out,
as in `selectors.candidates_for`. tests/matching/test_batch.py checks that the candidates and
scores equal `selectors.ranked_candidates`. Scores are `matching.scoring.score`, the function
that ranks recommendations.

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

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import partial

import numpy as np
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Avg, Count, Exists, OuterRef, Q
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.tasks import delay_or_log
from orders import services as order_services
from orders.geo import haversine_km, order_point, within_travel_radius
from orders.models import Order, OrderStatus, ServiceType
from orders.scheduling import WORKLOAD_STATUSES, DaySchedule, gap_between_jobs
from providers.models import (
    Provider,
    ProviderReward,
    ProviderStatus,
    ProviderTier,
    ServiceArea,
    TimeOff,
    WorkingHours,
)
from providers.selectors import bookable_providers

from . import scoring
from .batch import Assignment, Job, Problem, assign_optimal
from .models import Offer, OfferStatus, Recommendation, RecommendationStatus
from .models_batch import BatchRun, BatchStatus
from .roster import haversine_km_columns

# Orders a batch may place: waiting for a provider, with no open offer and no customer
# choosing among recommendations.
BATCH_STATUSES = (OrderStatus.REQUESTED, OrderStatus.NO_PROVIDER)

LEFT_REASONS = {
    "no_candidate": gettext_noop("Nobody eligible is free then"),
    "outbid": gettext_noop("Every eligible provider is planned for other orders then"),
    "changed": gettext_noop("No longer waiting for a provider, or the customer is choosing"),
}


class BatchError(ValidationError):
    pass


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


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
            starts_at__gte=_local_midnight(day),
            starts_at__lt=_local_midnight(day + timedelta(days=1)),
        )
        .exclude(Exists(open_offer))
        .exclude(Exists(choosing))
        .select_related("service_type", "area", "customer")
        .order_by("starts_at", "pk")
    )


@dataclass
class BatchProblem:
    orders: list[Order]
    problem: Problem
    scores: PairScores  # (order id, provider id) -> Score


class PairScores:
    """(order id, provider id) -> the pair's Score, built when asked for: the problem needs
    only the totals (`scoring.part_values`, the same arithmetic), the plan only its pairs'."""

    def __init__(self, scored: dict, weights: scoring.Weights):
        self._scored = scored  # pair -> (CandidateFeatures, total)
        self._weights = weights

    def __getitem__(self, pair: tuple[int, int]) -> scoring.Score:
        return scoring.score(self._scored[pair][0], self._weights)

    def __contains__(self, pair) -> bool:
        return pair in self._scored

    def __len__(self) -> int:
        return len(self._scored)

    def total(self, pair: tuple[int, int]) -> float:
        return self._scored[pair][1]


def _seconds(duration: timedelta | None) -> int:
    return int((duration or timedelta(0)).total_seconds())


def _week_of(day: date) -> date:
    return day - timedelta(days=day.weekday())  # scheduling's Monday-based week


def build_problem(orders, *, weights: scoring.Weights | None = None) -> BatchProblem:
    """The pure problem for these orders (see the module doc), in bulk queries."""
    orders = list(orders)
    if not orders:
        return BatchProblem(
            orders=[], problem=Problem(jobs=(), scores={}), scores=PairScores({}, None)
        )
    weights = weights or scoring.Weights.from_settings()
    gap = gap_between_jobs()
    pool = _Pool(orders)
    order_ids = [order.pk for order in orders]
    # Never again to a provider already offered the order, nor one the customer passed over.
    offered = set(
        Offer.objects.filter(order__in=order_ids)
        .values_list("order_id", "provider_id")
        .union(
            Recommendation.objects.filter(
                order__in=order_ids, status=RecommendationStatus.PASSED
            ).values_list("order_id", "provider_id")
        )
    )
    eligible: dict[int, list[int]] = {}
    day_used: dict[tuple[int, object], int] = {}
    week_used: dict[tuple[int, object], int] = {}
    week_hours: dict[tuple[int, date], float] = {}
    jobs = []
    zone = timezone.get_current_timezone()
    limits = (
        timedelta(hours=settings.MAX_WORK_HOURS_PER_DAY),
        timedelta(hours=settings.MAX_WORK_HOURS_PER_WEEK),
    )
    for order in orders:
        local_start, local_end = order.starts_at.astimezone(zone), order.ends_at.astimezone(zone)
        local_day = local_start.date()
        week = _week_of(local_day)
        window = (local_start.time(), local_end.time(), order.starts_at, order.ends_at)
        jobs.append(
            Job(
                order.pk,
                int(order.starts_at.timestamp()),
                int(order.ends_at.timestamp()),
                local_day,
                week,
            )
        )
        candidates = []
        for provider_id, schedule in pool.schedules(order, local_day):
            if (order.pk, provider_id) in offered or provider_id == order.avoid_provider_id:
                continue
            if not _is_free(schedule, window, gap, limits):
                continue
            candidates.append(provider_id)
            day_used[(provider_id, local_day)] = _seconds(schedule.day_hours)
            week_used[(provider_id, week)] = _seconds(schedule.week_hours)
            week_hours[(provider_id, week)] = round(_seconds(schedule.week_hours) / 3600, 4)
        eligible[order.pk] = candidates
    scores = PairScores(_scores(orders, eligible, pool.ids, week_hours, weights), weights)
    problem = Problem(
        jobs=tuple(jobs),
        scores={
            order.pk: {p: scores.total((order.pk, p)) for p in eligible[order.pk]}
            for order in orders
        },
        gap=_seconds(gap),
        day_limit=settings.MAX_WORK_HOURS_PER_DAY * 3600,
        week_limit=settings.MAX_WORK_HOURS_PER_WEEK * 3600,
        day_used=day_used,
        week_used=week_used,
    )
    return BatchProblem(orders=orders, problem=problem, scores=scores)


def _is_free(schedule: DaySchedule, window, gap: timedelta, limits) -> bool:
    """`orders.scheduling.is_free` with the job's local times and the hour limits worked out
    once per order instead of once per provider (a third of the build's time at 1,000 orders).
    tests/matching/test_batch.py checks it against is_free on random schedules."""
    local_start, local_end, starts_at, ends_at = window
    if not any(starts <= local_start and ends >= local_end for starts, ends in schedule.windows):
        return False
    for job_starts, job_ends, blocked_until in schedule.jobs:
        if job_starts < ends_at + gap and (
            job_ends > starts_at - gap or (blocked_until is not None and blocked_until > starts_at)
        ):
            return False
    duration = ends_at - starts_at
    return (
        schedule.day_hours <= limits[0] - duration and schedule.week_hours <= limits[1] - duration
    )


def _id_array(ids) -> RawSQL | list:
    if connection.vendor == "postgresql":
        return RawSQL("SELECT unnest(%s::bigint[])", (list(ids),))
    return list(ids)


class _Pool:
    """Everything the eligibility rules look at, for every provider who could serve any of
    the orders, read in ten queries; then decided in Python per order, with the rules of
    `orders.scheduling` (qualified_providers, serving, day_schedules and is_free), which the
    tests compare with `selectors.ranked_candidates`. One `day_schedules` call per (service,
    area, day) would cost three queries each: 600 for 1,000 orders over 50 areas and 4
    services, several seconds."""

    def __init__(self, orders: list[Order]):
        self.services = {order.service_type_id: order.service_type for order in orders}
        area_ids = {order.area_id for order in orders}
        zone = timezone.get_current_timezone()
        points = {order_point(order) for order in orders} - {None}
        self.days = {timezone.localtime(order.starts_at).date() for order in orders}
        members = Provider.areas.through.objects.filter(servicearea_id__in=area_ids)
        serving = Q(pk__in=members.values("provider_id"))
        for point in points:
            serving |= within_travel_radius(point)
        qualified = bookable_providers().filter(serving).order_by()
        if not settings.MATCHING_INCLUDE_PROBATION:
            qualified = qualified.exclude(status=ProviderStatus.PROBATION)
        self.info = {
            pk: (tier, latitude, longitude, radius)
            for pk, tier, latitude, longitude, radius in qualified.values_list(
                "pk", "tier", "latitude", "longitude", "travel_radius_km"
            )
        }
        # Thousands of ids as one array parameter: as many placeholders would cost more to
        # build and send than the queries themselves; a subquery would redo the search.
        ids = self.ids = _id_array(self.info)
        self.area_members: dict[int, set[int]] = defaultdict(set)
        for provider_id, area_id in members.filter(provider_id__in=ids).values_list(
            "provider_id", "servicearea_id"
        ):
            self.area_members[area_id].add(provider_id)
        self.needs: dict[int, set[int]] = defaultdict(set)
        for service_id, skill_id in ServiceType.required_skills.through.objects.filter(
            servicetype_id__in=list(self.services)
        ).values_list("servicetype_id", "skill_id"):
            self.needs[service_id].add(skill_id)
        self.skills: dict[int, set[int]] = defaultdict(set)
        for provider_id, skill_id in Provider.skills.through.objects.filter(
            provider_id__in=ids
        ).values_list("provider_id", "skill_id"):
            self.skills[provider_id].add(skill_id)
        first, last = min(self.days, default=None), max(self.days, default=None)
        self.off: dict[int, list[tuple[date, date]]] = defaultdict(list)
        for provider_id, starts_on, ends_on in TimeOff.objects.filter(
            provider_id__in=ids, starts_on__lte=last, ends_on__gte=first
        ).values_list("provider_id", "starts_on", "ends_on"):
            self.off[provider_id].append((starts_on, ends_on))
        self.windows: dict[tuple[int, int], list[tuple[time, time]]] = defaultdict(list)
        for provider_id, weekday, starts, ends in WorkingHours.objects.filter(
            provider_id__in=ids, weekday__in={day.weekday() for day in self.days}
        ).values_list("provider_id", "weekday", "starts", "ends"):
            self.windows[(provider_id, weekday)].append((starts, ends))
        self.day_hours: dict[tuple[int, date], timedelta] = defaultdict(timedelta)
        self.week_hours: dict[tuple[int, date], timedelta] = defaultdict(timedelta)
        if self.days:
            for provider_id, starts_at, ends_at in Order.objects.filter(
                provider_id__in=ids,
                status__in=WORKLOAD_STATUSES,
                starts_at__gte=_local_midnight(_week_of(first)),
                starts_at__lt=_local_midnight(_week_of(last) + timedelta(days=7)),
            ).values_list("provider_id", "starts_at", "ends_at"):
                local_day = starts_at.astimezone(zone).date()
                self.day_hours[(provider_id, local_day)] += ends_at - starts_at
                self.week_hours[(provider_id, _week_of(local_day))] += ends_at - starts_at
        self.jobs: dict[int, list] = defaultdict(list)
        if self.days:
            gap = gap_between_jobs()
            earliest = _local_midnight(first)
            for provider_id, *held in (
                Order.objects.blocking()
                .filter(
                    provider_id__in=ids,
                    starts_at__lt=_local_midnight(last + timedelta(days=1)) + gap,
                )
                .filter(Q(ends_at__gt=earliest - gap) | Q(blocked_until__gt=earliest))
                .values_list("provider_id", "starts_at", "ends_at", "blocked_until")
            ):
                self.jobs[provider_id].append(tuple(held))
        self._near: dict[tuple[float, float], set[int]] = {}
        self._travellers = None
        self._cache: dict[tuple, list] = {}

    def _nearby(self, point) -> set[int]:
        """Providers within their own travel radius of the point (orders.geo's rule)."""
        if point is None:
            return set()
        if point not in self._near:
            if self._travellers is None:
                # Those with a radius and a home, as a roster: the distance in numpy, once per
                # point, by the formula of orders.geo (matching/roster.py).
                rows = [
                    (pk, latitude, longitude, float(radius))
                    for pk, (_tier, latitude, longitude, radius) in self.info.items()
                    if radius and latitude is not None and longitude is not None
                ]
                self._travellers = tuple(
                    np.array([row[i] for row in rows], dtype=np.int64 if i == 0 else np.float64)
                    for i in range(4)
                )
            ids, latitudes, longitudes, radii = self._travellers
            max_km = float(settings.MATCHING_MAX_TRAVEL_KM)
            distance = haversine_km_columns(point, latitudes, longitudes)
            self._near[point] = set(ids[distance <= np.minimum(radii, max_km)].tolist())
        return self._near[point]

    def schedules(self, order: Order, day: date):
        """(provider id, DaySchedule) of everyone who could work for the order that day at
        all: qualified, skilled, serving the area or near enough, working that weekday, not
        on time off. The time itself is for is_free."""
        point = order_point(order)
        key = (order.service_type_id, order.area_id, point, day)
        if key not in self._cache:
            service = self.services[order.service_type_id]
            tiers = {tier for tier in ProviderTier.values if service.accepts_tier(tier)}
            needs = self.needs[order.service_type_id]
            serving = self.area_members[order.area_id] | self._nearby(point)
            found = []
            for provider_id in sorted(serving):
                windows = self.windows.get((provider_id, day.weekday()))
                if (
                    not windows
                    or self.info[provider_id][0] not in tiers
                    or not needs <= self.skills[provider_id]
                    or any(start <= day <= end for start, end in self.off[provider_id])
                ):
                    continue
                found.append(
                    (
                        provider_id,
                        DaySchedule(
                            windows,
                            self.jobs[provider_id],
                            self.day_hours[(provider_id, day)],
                            self.week_hours[(provider_id, _week_of(day))],
                        ),
                    )
                )
            self._cache[key] = found
        return self._cache[key]


def _scores(orders, eligible, provider_ids, week_hours, weights):
    """Every eligible pair's (CandidateFeatures, total score), from three queries over
    `provider_ids` (a subquery of the pool). Equal features are scored once."""
    if not any(eligible.values()):
        return {}
    now = timezone.now()
    rewarded = ProviderReward.objects.filter(provider=OuterRef("pk"), starts__lte=now).filter(
        Q(ends__isnull=True) | Q(ends__gt=now)
    )
    providers = {
        row[0]: row[1:]
        for row in Provider.objects.filter(pk__in=provider_ids)
        .annotate(rewarded=Exists(rewarded))
        .values_list("pk", "rating_average", "rating_count", "latitude", "longitude", "rewarded")
    }
    service_jobs = {
        (row["provider"], row["service_type"]): row["jobs"]
        for row in Order.objects.filter(
            provider__in=provider_ids,
            status=OrderStatus.COMPLETED,
            service_type__in={order.service_type_id for order in orders},
        )
        .order_by()
        .values("provider", "service_type")
        .annotate(jobs=Count("pk"))
    }
    rated_well = set(
        Order.objects.filter(
            customer__in={order.customer_id for order in orders},
            provider__in=provider_ids,
            customer_rating__isnull=False,
        )
        .order_by()
        .values("customer", "provider")
        .annotate(average=Avg("customer_rating"))
        .filter(average__gte=scoring.GOOD_RATING)
        .values_list("customer", "provider")
    )
    # Orders of one service in one area share everything but the customer's own history and
    # the preferred provider: key the cache by what varies, build the features once per key.
    cache: dict[tuple, tuple[scoring.CandidateFeatures, float]] = {}
    result = {}
    for order in orders:
        point = order_point(order)
        week = _week_of(timezone.localtime(order.starts_at).date())
        preferred_id = getattr(order, "preferred_provider_id", None)
        service_id = order.service_type_id
        for provider_id in eligible[order.pk]:
            key = (
                provider_id,
                service_id,
                point,
                week,
                (order.customer_id, provider_id) in rated_well,
                provider_id == preferred_id,
            )
            scored = cache.get(key)
            if scored is None:
                average, count, latitude, longitude, is_rewarded = providers[provider_id]
                distance = (
                    round(haversine_km(point, (latitude, longitude)), 2)
                    if point is not None and latitude is not None and longitude is not None
                    else None
                )
                features = scoring.CandidateFeatures(
                    provider_id=provider_id,
                    rating=average,
                    rating_count=count,
                    kpi_percent=None,
                    service_jobs=service_jobs.get((provider_id, service_id), 0),
                    distance_km=distance,
                    past_good_with_customer=key[4],
                    week_hours=week_hours.get((provider_id, week), 0.0),
                    rewarded=is_rewarded,
                    preferred=key[5],
                )
                total = scoring.total_of(scoring.part_values(features, weights))
                scored = cache[key] = (features, total)
            result[(order.pk, provider_id)] = scored
    return result


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


def _offer(order: Order, provider_id: int, *, actor, reason: str) -> Offer:
    from .services import _tell_provider_about  # the offer notification of the usual loop

    offer = Offer.objects.create(
        order=order,
        provider_id=provider_id,
        expires_at=timezone.now() + timedelta(minutes=settings.OFFER_TIMEOUT_MINUTES),
    )
    order_services.mark_offered(order=order, reason=reason, actor=actor)
    transaction.on_commit(partial(_tell_provider_about, offer.pk))
    return offer


@transaction.atomic
def assign_batch(*, orders, actor, reason: str) -> BatchPlan:
    """Offer each of the orders to its provider in the best assignment (see the module doc).
    Orders no longer waiting for a provider are skipped and reported as left."""
    reason = reason.strip()
    if not reason:
        raise BatchError(_("Say why you are assigning these orders in a batch."))
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
            order = order_services.reopen_for_matching(
                order=order, actor=actor, reason=gettext_noop("Batch assignment by an operator")
            )
        _offer(
            order,
            pair.provider_id,
            actor=actor,
            reason=gettext_noop("Offered in an operator's batch assignment"),
        )
    plan.left.extend((order, "changed") for order in changed)
    return plan


# Runs: requested from the staff page, done by a Celery task ----------------------------------


@transaction.atomic
def request_batch(*, area: ServiceArea, day: date, actor, reason: str) -> BatchRun:
    """Record the operator's request with the plan they saw; the task runs it on commit."""
    reason = reason.strip()
    if not reason:
        raise BatchError({"reason": _("Say why you are assigning these orders in a batch.")})
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
    run_id = run.pk
    transaction.on_commit(lambda: _enqueue_run(run_id))
    return run


def _enqueue_run(run_id: int) -> None:
    from .tasks import run_batch_task  # tasks imports this module

    delay_or_log(run_batch_task, run_id)


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
