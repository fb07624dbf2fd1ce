"""Everyone who could serve any order of a batch, with all the rules and scores look at, read in
ten queries however many orders and providers (R-MAT-5):

- their standing data as a roster (matching/roster.py: status, tier, skills, working hours,
  time off, home and travel radius, rating, completed jobs per service, rewards), read with
  `load_roster` afresh rather than taken from the rosters a process keeps for ranking: a batch
  offers jobs, so it decides on the database's data of the moment;
- who serves each of the orders' areas and which skills each service needs;
- their counted hours per local day and per week of the orders, summed in SQL (as
  `orders.scheduling.day_schedules` does), and their blocking jobs around those days.

The standing rules are decided over the roster by matching/eligibility.py, as for ranking; the
jobs by `free` here, with the rules of `orders.scheduling` (is_free: clear of blocking jobs with
the travel gap, daily and weekly hours). tests/matching/test_batch*.py compare the result with
`selectors.ranked_candidates`, `ranked_candidates_in_sql` and `is_free`. One `day_schedules`
call per (service, area, day) would cost three queries each: 600 for 1,000 orders over 50 areas
and 4 services, several seconds.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import numpy as np
from django.conf import settings
from django.db.models import DateField, DurationField, F, Q, Sum
from django.db.models.functions import TruncDate, TruncWeek
from django.utils import timezone

from core.db import id_array
from orders.geo import KM_PER_DEGREE_LATITUDE, order_point
from orders.models import Order, ServiceType
from orders.scheduling import WORKLOAD_STATUSES, gap_between_jobs
from providers.models import Provider
from providers.selectors import bookable_providers

from ..roster import MICROSECOND, load_roster, microseconds

# A blocking job held no longer than its end: its "held until" compares below every start.
NOT_HELD = np.iinfo(np.int64).min


def local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def week_of(day: date) -> date:
    return day - timedelta(days=day.weekday())  # scheduling's Monday-based week


class Times:
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
        self.weeks = sorted({week_of(day) for day in self.days})
        day_index = {day: i for i, day in enumerate(self.days)}
        week_index = {week: i for i, week in enumerate(self.weeks)}
        self.day = np.array([day_index[day] for day in local_days], dtype=np.int64)
        self.week = np.array([week_index[week_of(day)] for day in local_days], dtype=np.int64)
        self.starts = np.array([microseconds(order.starts_at) for order in orders], np.int64)
        self.ends = np.array([microseconds(order.ends_at) for order in orders], np.int64)


def _travellers_near(points) -> Q:
    """Providers with a travel radius whose home lies in the latitude band of the points,
    widened by the largest radius allowed: everyone orders.geo.within_travel_radius could
    accept for any of them (its bounding box lies inside the band). A cheap superset in SQL;
    eligibility.within_reach decides each point exactly."""
    reach = float(settings.MATCHING_MAX_TRAVEL_KM) / KM_PER_DEGREE_LATITUDE
    latitudes = [latitude for latitude, _longitude in points]
    return Q(
        travel_radius_km__gt=0,
        latitude__gte=min(latitudes) - reach,
        latitude__lte=max(latitudes) + reach,
    )


class Pool:
    """The providers who could serve any of the orders (see the module doc): `roster`,
    `area_members` (area id -> column), `needs` (service id -> required skill ids),
    `day_worked` and `week_worked` (microseconds, a row per roster row, a column per day or
    week of `times`) and their blocking `jobs`."""

    def __init__(self, orders: list[Order], times: Times):
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
        self.area_members = self._area_members(members.filter(provider_id__in=ids))
        self.needs: dict[int, list[int]] = defaultdict(list)
        for service_id, skill_id in ServiceType.required_skills.through.objects.filter(
            servicetype_id__in={order.service_type_id for order in orders}
        ).values_list("servicetype_id", "skill_id"):
            self.needs[service_id].append(skill_id)
        self.day_worked, self.week_worked = self._hours_worked(ids, times)
        self.jobs = self._blocking_jobs(ids, times)

    def rows_of(self, provider_ids) -> np.ndarray:
        """The roster rows of these providers (all in the pool; the roster is sorted by id)."""
        return np.searchsorted(self.roster.ids, np.array(provider_ids, dtype=np.int64))

    def serving(self, area_id: int, nearby: np.ndarray) -> np.ndarray:
        """Those who serve the area, or whose radius reaches the job (`nearby`)."""
        members = self.area_members.get(area_id)
        return nearby if members is None else members | nearby

    def free(self, rows: np.ndarray, jobs: np.ndarray, times: Times) -> np.ndarray:
        """Whether the provider at each of `rows` is free for the order at the same place of
        `jobs` (indexes into `times`): `free`, with the settings' gap and hour limits."""
        return free(
            self.jobs,
            rows,
            times.starts[jobs],
            times.ends[jobs],
            self.day_worked[rows, times.day[jobs]],
            self.week_worked[rows, times.week[jobs]],
            gap=gap_between_jobs() // MICROSECOND,
            day_limit=timedelta(hours=settings.MAX_WORK_HOURS_PER_DAY) // MICROSECOND,
            week_limit=timedelta(hours=settings.MAX_WORK_HOURS_PER_WEEK) // MICROSECOND,
        )

    def _area_members(self, members) -> dict[int, np.ndarray]:
        by_area: dict[int, list[int]] = defaultdict(list)
        for area_id, provider_id in members.values_list("servicearea_id", "provider_id"):
            by_area[area_id].append(provider_id)
        return {
            area_id: self.roster.flags(self.rows_of(provider_ids))
            for area_id, provider_ids in by_area.items()
        }

    def _hours_worked(self, ids, times: Times) -> tuple[np.ndarray, np.ndarray]:
        zone = timezone.get_current_timezone()
        first, last = times.days[0], times.days[-1]
        day_worked = self._worked(
            ids,
            TruncDate("starts_at", tzinfo=zone),
            times.days,
            local_midnight(first),
            local_midnight(last + timedelta(days=1)),
        )
        week_worked = self._worked(
            ids,
            TruncWeek("starts_at", tzinfo=zone, output_field=DateField()),
            times.weeks,
            local_midnight(times.weeks[0]),
            local_midnight(times.weeks[-1] + timedelta(days=7)),
        )
        return day_worked, week_worked

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

    def _blocking_jobs(self, ids, times: Times) -> Jobs:
        """The providers' jobs that could clash with an order of the batch's days."""
        gap = gap_between_jobs()
        earliest = local_midnight(times.days[0])
        held = list(
            Order.objects.blocking()
            .filter(
                provider_id__in=ids,
                starts_at__lt=local_midnight(times.days[-1] + timedelta(days=1)) + gap,
            )
            .filter(Q(ends_at__gt=earliest - gap) | Q(blocked_until__gt=earliest))
            .values_list("provider_id", "starts_at", "ends_at", "blocked_until")
        )
        return Jobs.of(
            rows=self.rows_of([job[0] for job in held]),
            starts=[microseconds(job[1]) for job in held],
            ends=[microseconds(job[2]) for job in held],
            blocked_until=[NOT_HELD if job[3] is None else microseconds(job[3]) for job in held],
            providers=len(self.roster),
        )


@dataclass
class Jobs:
    """Providers' blocking jobs as flat columns in microseconds, grouped by roster row: the
    jobs of row r are those from first[r] to first[r] + count[r]."""

    starts: np.ndarray
    ends: np.ndarray
    blocked_until: np.ndarray  # NOT_HELD when not held beyond the end
    first: np.ndarray
    count: np.ndarray

    @classmethod
    def of(cls, *, rows, starts, ends, blocked_until, providers: int) -> Jobs:
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


def free(jobs: Jobs, rows, starts, ends, day_worked, week_worked, *, gap, day_limit, week_limit):
    """`orders.scheduling.is_free` for many (provider, job) pairs at once, but for the working
    hours (decided with the other standing rules, matching/eligibility.py): clear of the
    provider's blocking jobs, and the day's and the week's hours within the limits once the job
    is counted. Everything in microseconds; tests/matching/test_batch.py checks it against
    is_free."""
    duration = ends - starts
    # orders.scheduling.day_hours_limit: a single job longer than the day's limit (a day of
    # elderly care) fits a day with no other work.
    return (
        (day_worked <= np.maximum(day_limit, duration) - duration)
        & (week_worked <= week_limit - duration)
        & ~jobs.clash(rows, starts, ends, gap)
    )
