"""Batch assignment against the database (R-MAT-5): build the problem, plan, apply.

`build_problem` turns a set of orders into the pure problem of `matching.batch` in a fixed
number of bulk queries (about fifteen), however many orders and providers: everyone who could
serve any of the orders as a roster of numpy columns (matching/roster.py: skills, working hours,
time off, home, rating, completed jobs, rewards), who serves each area, their hours per local
day and week summed in SQL and their blocking jobs (`_Pool`), then customers' good past
ratings. The rules are decided for every (order, provider) pair at once over those columns,
with the rules of `orders.scheduling` (qualified_providers: bookable, probation per setting,
tier; serving: the order's area or within the provider's travel radius of the order's point;
every required skill; no time off that day; then `is_free`: working hours, clear of confirmed
jobs with the travel gap, daily and weekly hours); a provider already offered the order, passed
over by the customer, or the one a guarantee redo avoids, is left out, as in
`selectors.candidates_for`. tests/matching/test_batch*.py check that the candidates and scores
equal `selectors.ranked_candidates` and the SQL reference. Scores are `matching.scoring`'s
formula over columns (`part_columns`, equal to `scoring.score`, the function that ranks
recommendations).

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
from django.db import transaction
from django.db.models import Avg, DateField, DurationField, Exists, F, OuterRef, Q, Sum
from django.db.models.functions import TruncDate, TruncWeek
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.db import id_array
from core.tasks import delay_or_log
from orders.geo import KM_PER_DEGREE_LATITUDE, order_point
from orders.models import Order, OrderStatus, ServiceType
from orders.scheduling import WORKLOAD_STATUSES, gap_between_jobs
from orders.services import lifecycle as order_lifecycle
from providers.models import Provider, ProviderStatus, ProviderTier, ServiceArea
from providers.models.core import BOOKABLE_STATUSES
from providers.selectors import bookable_providers

from . import scoring
from .batch import Assignment, Job, Problem, assign_optimal
from .models import Offer, OfferStatus, Recommendation, RecommendationStatus
from .models_batch import BatchRun, BatchStatus
from .roster import MICROSECOND, load_roster, microseconds, time_of_day

# Orders a batch may place: waiting for a provider, with no open offer and no customer
# choosing among recommendations.
BATCH_STATUSES = (OrderStatus.REQUESTED, OrderStatus.NO_PROVIDER)

SECOND = 1_000_000  # microseconds
# A blocking job held no longer than its end: its "held until" compares below every start.
NOT_HELD = np.iinfo(np.int64).min

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


def _seconds(duration: timedelta | None) -> int:
    return int((duration or timedelta(0)).total_seconds())


def _week_of(day: date) -> date:
    return day - timedelta(days=day.weekday())  # scheduling's Monday-based week


def build_problem(orders, *, weights: scoring.Weights | None = None) -> BatchProblem:
    """The pure problem for these orders (see the module doc), in bulk queries; the rules are
    decided for every pair at once over numpy columns."""
    orders = list(orders)
    if not orders:
        return BatchProblem(
            orders=[], problem=Problem(jobs=(), scores={}), scores=PairScores([], None, None)
        )
    weights = weights or scoring.Weights.from_settings()
    times = _Times(orders)
    pool = _Pool(orders, times)
    pairs = _candidate_pairs(pool, orders, times, _left_out(orders))
    pairs = pairs.where(pool.free(pairs, times))
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


class _Times:
    """The orders' times as columns (index i is orders[i]): start and end in microseconds
    since the epoch, and the local day and (Monday-based) week each starts in, as indexes into
    `days` and `weeks`."""

    def __init__(self, orders: list[Order]):
        zone = timezone.get_current_timezone()
        self.local = [
            (order.starts_at.astimezone(zone), order.ends_at.astimezone(zone)) for order in orders
        ]
        local_days = [starts.date() for starts, _ends in self.local]
        self.days = sorted(set(local_days))
        self.weeks = sorted({_week_of(day) for day in self.days})
        day_index = {day: i for i, day in enumerate(self.days)}
        week_index = {week: i for i, week in enumerate(self.weeks)}
        self.day = np.array([day_index[day] for day in local_days], dtype=np.int64)
        self.week = np.array([week_index[_week_of(day)] for day in local_days], dtype=np.int64)
        self.starts = np.array([microseconds(order.starts_at) for order in orders], np.int64)
        self.ends = np.array([microseconds(order.ends_at) for order in orders], np.int64)


@dataclass
class _Pairs:
    """(order, provider) pairs as columns: the order's index in the batch, the provider's row
    in the pool's roster, and the distance between the job and the provider's home (NaN when
    either has no point). Sorted by order, then provider id."""

    order: np.ndarray
    row: np.ndarray
    distance_km: np.ndarray

    def where(self, keep: np.ndarray) -> _Pairs:
        return _Pairs(self.order[keep], self.row[keep], self.distance_km[keep])


def _left_out(orders: list[Order]) -> dict[int, set[int]]:
    """order id -> providers never to be offered it: those already offered it, those the
    customer passed over, and the one a guarantee redo avoids."""
    order_ids = [order.pk for order in orders]
    left_out: dict[int, set[int]] = defaultdict(set)
    for order_id, provider_id in (
        Offer.objects.filter(order__in=id_array(order_ids))
        .values_list("order_id", "provider_id")
        .union(
            Recommendation.objects.filter(
                order__in=id_array(order_ids), status=RecommendationStatus.PASSED
            ).values_list("order_id", "provider_id")
        )
    ):
        left_out[order_id].add(provider_id)
    for order in orders:
        if order.avoid_provider_id:
            left_out[order.pk].add(order.avoid_provider_id)
    return left_out


def _travellers_near(points) -> Q:
    """Providers with a travel radius whose home lies in the latitude band of the points,
    widened by the largest radius allowed: everyone orders.geo.within_travel_radius could
    accept for any of them (its bounding box lies inside the band). A cheap superset in SQL;
    Roster.within_radius decides each point exactly."""
    reach = float(settings.MATCHING_MAX_TRAVEL_KM) / KM_PER_DEGREE_LATITUDE
    latitudes = [latitude for latitude, _longitude in points]
    return Q(
        travel_radius_km__gt=0,
        latitude__gte=min(latitudes) - reach,
        latitude__lte=max(latitudes) + reach,
    )


class _Pool:
    """Everyone who could serve any of the orders, with all the rules and scores look at, read
    in ten queries however many orders and providers:

    - their standing data as a roster (matching/roster.py: status, tier, skills, working hours,
      time off, home and travel radius, rating, completed jobs per service, rewards), read with
      `load_roster` afresh rather than taken from the rosters a process keeps for ranking: a
      batch offers jobs, so it decides on the database's data of the moment;
    - who serves each of the orders' areas and which skills each service needs;
    - their counted hours per local day and per week of the orders, summed in SQL (as
      `orders.scheduling.day_schedules` does), and their blocking jobs around those days.

    The rules themselves are those of `orders.scheduling` (qualified_providers, serving,
    day_schedules and is_free) and of the ranking (matching/ranking.py), decided over columns;
    tests/matching/test_batch*.py compare the result with `selectors.ranked_candidates` and
    `ranked_candidates_in_sql`. One `day_schedules` call per (service, area, day) would cost
    three queries each: 600 for 1,000 orders over 50 areas and 4 services, several seconds."""

    def __init__(self, orders: list[Order], times: _Times):
        area_ids = {order.area_id for order in orders}
        points = {order_point(order) for order in orders} - {None}
        members = Provider.areas.through.objects.filter(servicearea_id__in=area_ids)
        serving = Q(pk__in=members.values("provider_id"))
        if points:
            serving |= _travellers_near(points)
        self.roster = load_roster(bookable_providers().filter(serving))
        # Thousands of ids as one array parameter: as many placeholders would cost more to
        # build and send than the queries themselves; a subquery would redo the search.
        ids = id_array(self.roster.ids.tolist())
        self.area_members: dict[int, np.ndarray] = {}
        by_area: dict[int, list[int]] = defaultdict(list)
        for area_id, provider_id in members.filter(provider_id__in=ids).values_list(
            "servicearea_id", "provider_id"
        ):
            by_area[area_id].append(provider_id)
        for area_id, provider_ids in by_area.items():
            self.area_members[area_id] = self.roster.flags(self.rows_of(provider_ids))
        self.needs: dict[int, list[int]] = defaultdict(list)
        for service_id, skill_id in ServiceType.required_skills.through.objects.filter(
            servicetype_id__in={order.service_type_id for order in orders}
        ).values_list("servicetype_id", "skill_id"):
            self.needs[service_id].append(skill_id)
        self.statuses = tuple(
            status
            for status in BOOKABLE_STATUSES
            if settings.MATCHING_INCLUDE_PROBATION or status != ProviderStatus.PROBATION
        )
        zone = timezone.get_current_timezone()
        first, last = times.days[0], times.days[-1]
        self.day_worked = self._worked(
            ids,
            TruncDate("starts_at", tzinfo=zone),
            times.days,
            _local_midnight(first),
            _local_midnight(last + timedelta(days=1)),
        )
        self.week_worked = self._worked(
            ids,
            TruncWeek("starts_at", tzinfo=zone, output_field=DateField()),
            times.weeks,
            _local_midnight(times.weeks[0]),
            _local_midnight(times.weeks[-1] + timedelta(days=7)),
        )
        gap = gap_between_jobs()
        earliest = _local_midnight(first)
        held = list(
            Order.objects.blocking()
            .filter(
                provider_id__in=ids, starts_at__lt=_local_midnight(last + timedelta(days=1)) + gap
            )
            .filter(Q(ends_at__gt=earliest - gap) | Q(blocked_until__gt=earliest))
            .values_list("provider_id", "starts_at", "ends_at", "blocked_until")
        )
        self.jobs = _Jobs.of(
            rows=self.rows_of([job[0] for job in held]),
            starts=[microseconds(job[1]) for job in held],
            ends=[microseconds(job[2]) for job in held],
            blocked_until=[NOT_HELD if job[3] is None else microseconds(job[3]) for job in held],
            providers=len(self.roster),
        )
        self._standing: dict[tuple, np.ndarray] = {}
        self._working: dict[tuple, np.ndarray] = {}

    def rows_of(self, provider_ids) -> np.ndarray:
        """The roster rows of these providers (all in the pool; the roster is sorted by id)."""
        return np.searchsorted(self.roster.ids, np.array(provider_ids, dtype=np.int64))

    def _worked(self, ids, period, periods: list[date], since, until) -> np.ndarray:
        """Microseconds of counted work (WORKLOAD_STATUSES) starting in each of the `periods`
        (local days or weeks, as `period` truncates a start): a row per roster row, a column
        per period."""
        worked = np.zeros((len(self.roster), len(periods)), dtype=np.int64)
        column = {start: i for i, start in enumerate(periods)}
        totals = [
            (provider_id, column[start], total // MICROSECOND)
            for provider_id, start, total in Order.objects.filter(
                provider_id__in=ids,
                status__in=WORKLOAD_STATUSES,
                starts_at__gte=since,
                starts_at__lt=until,
            )
            .annotate(period=period)
            .order_by()
            .values("provider_id", "period")
            .annotate(total=Sum(F("ends_at") - F("starts_at"), output_field=DurationField()))
            .values_list("provider_id", "period", "total")
            if start in column  # a day between two of the batch's days
        ]
        if totals:
            provider_ids, columns, amounts = zip(*totals, strict=True)
            worked[self.rows_of(provider_ids), list(columns)] = amounts
        return worked

    def could_work(self, service_type: ServiceType, day: date) -> np.ndarray:
        """Qualified for the service (bookable, probation per setting, tier), holding every
        skill it needs, and not on time off that day."""
        key = (service_type.pk, day)
        if key not in self._standing:
            roster = self.roster
            tiers = tuple(tier for tier in ProviderTier.values if service_type.accepts_tier(tier))
            self._standing[key] = (
                roster.qualified(statuses=self.statuses, tiers=tiers)
                & roster.skilled(tuple(self.needs[service_type.pk]))
                & ~roster.off(first=day, last=day)
            )
        return self._standing[key]

    def serving(self, area_id: int, nearby: np.ndarray) -> np.ndarray:
        members = self.area_members.get(area_id)
        return nearby if members is None else members | nearby

    def working(self, local_start: datetime, local_end: datetime) -> np.ndarray:
        """Working hours that weekday cover the job's local times."""
        key = (
            local_start.weekday(),
            time_of_day(local_start.time()),
            time_of_day(local_end.time()),
        )
        if key not in self._working:
            weekday, starts, ends = key
            self._working[key] = self.roster.working(weekday=weekday, starts=starts, ends=ends)
        return self._working[key]

    def free(self, pairs: _Pairs, times: _Times) -> np.ndarray:
        """Whether each pair's provider is free for the job (`_free`)."""
        return _free(
            self.jobs,
            pairs.row,
            times.starts[pairs.order],
            times.ends[pairs.order],
            self.day_worked[pairs.row, times.day[pairs.order]],
            self.week_worked[pairs.row, times.week[pairs.order]],
            gap=gap_between_jobs() // MICROSECOND,
            day_limit=timedelta(hours=settings.MAX_WORK_HOURS_PER_DAY) // MICROSECOND,
            week_limit=timedelta(hours=settings.MAX_WORK_HOURS_PER_WEEK) // MICROSECOND,
        )


@dataclass
class _Jobs:
    """Providers' blocking jobs as flat columns in microseconds, grouped by roster row: the
    jobs of row r are those from first[r] to first[r] + count[r]."""

    starts: np.ndarray
    ends: np.ndarray
    blocked_until: np.ndarray  # NOT_HELD when not held beyond the end
    first: np.ndarray
    count: np.ndarray

    @classmethod
    def of(cls, *, rows, starts, ends, blocked_until, providers: int) -> _Jobs:
        rows = np.asarray(rows, dtype=np.int64)
        grouped = np.argsort(rows, kind="stable")
        count = np.bincount(rows, minlength=providers)
        return cls(
            np.asarray(starts, dtype=np.int64)[grouped],
            np.asarray(ends, dtype=np.int64)[grouped],
            np.asarray(blocked_until, dtype=np.int64)[grouped],
            np.cumsum(count) - count,
            count,
        )

    def clash(self, rows: np.ndarray, starts: np.ndarray, ends: np.ndarray, gap: int):
        """For each (row, job from starts to ends): whether one of that row's jobs is too
        close, by the rule of orders.scheduling (the travel gap, and the time a job is held
        after its end). Each pair is repeated once per job of its provider, then reduced."""
        counts = self.count[rows]
        offsets = np.cumsum(counts) - counts
        pair = np.repeat(np.arange(len(rows)), counts)
        job = np.repeat(self.first[rows] - offsets, counts) + np.arange(counts.sum())
        hit = (self.starts[job] < ends[pair] + gap) & (
            (self.ends[job] > starts[pair] - gap) | (self.blocked_until[job] > starts[pair])
        )
        return np.bincount(pair[hit], minlength=len(rows)) > 0


def _free(jobs: _Jobs, rows, starts, ends, day_worked, week_worked, *, gap, day_limit, week_limit):
    """`orders.scheduling.is_free` for many (provider, job) pairs at once, but for the working
    hours (decided with the other standing rules): clear of the provider's blocking jobs, and
    the day's and the week's hours within the limits once the job is counted. Everything in
    microseconds; tests/matching/test_batch.py checks it against is_free."""
    duration = ends - starts
    # orders.scheduling.day_hours_limit: a single job longer than the day's limit (a day of
    # elderly care) fits a day with no other work.
    return (
        (day_worked <= np.maximum(day_limit, duration) - duration)
        & (week_worked <= week_limit - duration)
        & ~jobs.clash(rows, starts, ends, gap)
    )


def _candidate_pairs(pool: _Pool, orders, times: _Times, left_out) -> _Pairs:
    """Every (order, provider) pair passing the rules that do not depend on the provider's jobs:
    `could_work` that day, serving the order's area or within their travel radius of its point,
    working hours covering it, not left out. The orders of one point are taken together: the
    distances to it are computed once."""
    roster = pool.roster
    max_km = float(settings.MATCHING_MAX_TRAVEL_KM)
    by_point: dict[tuple | None, list[int]] = defaultdict(list)
    for i, order in enumerate(orders):
        by_point[order_point(order)].append(i)
    found: list = [None] * len(orders)
    for point, indexes in by_point.items():
        if point is None:
            distance = np.full(len(roster), np.nan)
            nearby = np.zeros(len(roster), dtype=bool)
        else:
            distance = roster.distance_km(point)
            nearby = roster.within_radius(point, distance, max_km)
        standing: dict[tuple, np.ndarray] = {}
        for i in indexes:
            order = orders[i]
            local_start, local_end = times.local[i]
            key = (order.service_type_id, order.area_id, local_start.date())
            if key not in standing:
                standing[key] = pool.could_work(order.service_type, key[2]) & pool.serving(
                    order.area_id, nearby
                )
            rows = np.flatnonzero(standing[key] & pool.working(local_start, local_end))
            if order.pk in left_out:
                rows = rows[~np.isin(roster.ids[rows], list(left_out[order.pk]))]
            found[i] = (rows, distance[rows])
    return _Pairs(
        order=np.repeat(np.arange(len(orders)), [len(rows) for rows, _distance in found]),
        row=np.concatenate([rows for rows, _distance in found]),
        distance_km=np.concatenate([distance for _rows, distance in found]),
    )


def _features(pool: _Pool, orders, pairs: _Pairs, times: _Times) -> scoring.FeatureColumns:
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
    order_lifecycle.mark_offered(order=order, reason=reason, actor=actor)
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
            order = order_lifecycle.reopen_for_matching(
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
