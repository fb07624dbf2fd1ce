"""Who is free when (R-ORD-5, R-MAT-1): the schedule rules, written once, as database queries.

A provider can take a job [starts_at, ends_at) when they are bookable, hold every skill the
service needs, serve the area, work that local weekday for the whole job, are not on time off
that local day, and the job keeps clear of their other jobs and within their workload limits.

The gap between jobs. A confirmed job holds [starts_at, blocked_until), where blocked_until is
its end plus the travel buffer in force when it was confirmed. Between two jobs the provider
needs GAP = max(TRAVEL_BUFFER_MINUTES, MIN_REST_MINUTES): travel and rest happen in the same
break (taking the larger, not the sum). So a new job [S, E) clashes with a job J when
    J.starts_at < E + GAP                     (J would start too soon after the new job), and
    J.ends_at + GAP > S or J.blocked_until > S (the new job would start too soon after J).
Comparing the new window widened by GAP on both sides with J's held time [starts_at,
blocked_until) would count the travel buffer twice after an earlier job (blocked_until already
contains it): a job starting exactly GAP after an earlier one would be refused. With the rule
above a job starting exactly GAP after an earlier job ends, or ending exactly GAP before a later
one starts, is allowed, and the new job's own held time [S, E + TRAVEL) can never meet another
job's, so the exclusion constraint of migration 0002 is never tripped by an offered slot.

Workload. Hours worked are the durations of the provider's confirmed, running and completed jobs
(completed work is still work done that day or week), counted on the local day (or week) in
which each job starts. The week is the local Monday-based week (WEEK_STARTS_ON), the same week
matching uses to spread work; a Saturday-based week would change only that constant.

The slot search (available_start_times) reads the day once (day_schedules) and applies the same
rules in Python (is_free), because 28 start times as ORM subqueries cost far more to build and
plan than to run. tests/orders/test_scheduling.py compares both paths on random schedules.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import (
    DurationField,
    Exists,
    F,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from providers.models import (
    Provider,
    ProviderTier,
    ServiceArea,
    TimeOff,
    WorkingHours,
)
from providers.selectors import matchable_providers

from .geo import area_point, within_travel_radius
from .models import BLOCKING_STATUSES, Order, OrderStatus, ServiceType
from .pricing import quote_for

WEEK_STARTS_ON = 0  # Monday, as datetime.weekday() counts

# The start times the booking form offers (local time).
START_TIMES = [time(hour, minute) for hour in range(7, 21) for minute in (0, 30)]

# Jobs whose hours count toward the daily and weekly limits.
WORKLOAD_STATUSES = (*BLOCKING_STATUSES, OrderStatus.COMPLETED)


def gap_between_jobs() -> timedelta:
    return timedelta(minutes=max(settings.TRAVEL_BUFFER_MINUTES, settings.MIN_REST_MINUTES))


def day_hours_limit(duration: timedelta) -> timedelta:
    """The most a provider may work in one local day once this job is counted.

    MAX_WORK_HOURS_PER_DAY, except that a single job longer than that (a day of elderly care
    runs 8-12 h, R-ORD-6) may still be booked, but only on a day with no other work."""
    return max(timedelta(hours=settings.MAX_WORK_HOURS_PER_DAY), duration)


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    return _local_midnight(day), _local_midnight(day + timedelta(days=1))


def _week_bounds(day: date) -> tuple[datetime, datetime]:
    first = day - timedelta(days=(day.weekday() - WEEK_STARTS_ON) % 7)
    return _local_midnight(first), _local_midnight(first + timedelta(days=7))


def _hours_between(provider_ref, lower: datetime, upper: datetime, exclude_order_id=None):
    """Sum of the durations of a provider's counted jobs starting in [lower, upper), or 0."""
    jobs = Order.objects.filter(
        provider=provider_ref,
        status__in=WORKLOAD_STATUSES,
        starts_at__gte=lower,
        starts_at__lt=upper,
    )
    if exclude_order_id is not None:
        jobs = jobs.exclude(pk=exclude_order_id)
    total = (
        jobs.order_by()
        .values("provider")
        .annotate(total=Sum(F("ends_at") - F("starts_at"), output_field=DurationField()))
        .values("total")
    )
    return Coalesce(
        Subquery(total, output_field=DurationField()),
        Value(timedelta(0), output_field=DurationField()),
    )


def clashing_jobs(*, provider_ref, starts_at: datetime, ends_at: datetime):
    """Blocking jobs of the provider too close to [starts_at, ends_at) (see the module doc)."""
    gap = gap_between_jobs()
    return (
        Order.objects.blocking()
        .filter(provider=provider_ref, starts_at__lt=ends_at + gap)
        .filter(Q(ends_at__gt=starts_at - gap) | Q(blocked_until__gt=starts_at))
    )


def with_workload(providers, *, starts_at: datetime, exclude_order_id=None):
    """Annotate `day_hours` and `week_hours` (durations) for the local day and week of
    starts_at."""
    day = timezone.localtime(starts_at).date()
    return providers.annotate(
        day_hours=_hours_between(OuterRef("pk"), *_day_bounds(day), exclude_order_id),
        week_hours=_hours_between(OuterRef("pk"), *_week_bounds(day), exclude_order_id),
    )


def qualified_providers(service_type: ServiceType):
    """Bookable providers matching looks for (providers.selectors.matchable_providers: on
    probation only when MATCHING_INCLUDE_PROBATION) of the service's minimum qualification tier
    or higher (R-MAT-1). Skills are checked by the callers."""
    providers = matchable_providers()
    tiers = [tier for tier in ProviderTier.values if service_type.accepts_tier(tier)]
    return providers.filter(tier__in=tiers)


def serving(providers, *, area: ServiceArea, point: tuple[float, float] | None = None):
    """Those of `providers` who serve the area, or live within their travel radius of the job's
    point (the order's coordinates, else the area's centre; orders/geo.py)."""
    point = point if point is not None else area_point(area)
    area_members = Provider.areas.through.objects.filter(servicearea_id=area.pk)
    if point is None:
        return providers.filter(Exists(area_members.filter(provider_id=OuterRef("pk"))))
    # A UNION of two indexed lookups, rather than an OR, which would scan every provider.
    nearby = Provider.objects.filter(within_travel_radius(point)).order_by().values("pk")
    return providers.filter(pk__in=area_members.order_by().values("provider_id").union(nearby))


def eligible_providers(
    *,
    service_type: ServiceType,
    area: ServiceArea,
    starts_at: datetime,
    ends_at: datetime,
    point: tuple[float, float] | None = None,
):
    """Providers who may be given the job [starts_at, ends_at): one query, no Python loop.

    Annotated with `day_hours` and `week_hours` (their workload before this job), so callers
    can rank by load. Unordered. `point` is where the job is (see `serving`).
    """
    local_start = timezone.localtime(starts_at)
    local_end = timezone.localtime(ends_at)
    duration = ends_at - starts_at
    skills_needed = ServiceType.required_skills.through.objects.filter(
        servicetype_id=service_type.pk
    )
    skills_held = Provider.skills.through.objects.filter(provider_id=OuterRef(OuterRef("pk")))
    missing_skill = skills_needed.exclude(skill_id__in=skills_held.values("skill_id"))
    works_then = WorkingHours.objects.filter(
        provider=OuterRef("pk"),
        weekday=local_start.weekday(),
        starts__lte=local_start.time(),
        ends__gte=local_end.time(),
    )
    off_then = TimeOff.objects.filter(
        provider=OuterRef("pk"),
        starts_on__lte=local_end.date(),
        ends_on__gte=local_start.date(),
    )
    busy_then = clashing_jobs(provider_ref=OuterRef("pk"), starts_at=starts_at, ends_at=ends_at)
    providers = (
        serving(qualified_providers(service_type), area=area, point=point)
        .filter(Exists(works_then))
        .exclude(Exists(missing_skill))
        .exclude(Exists(off_then))
        .exclude(Exists(busy_then))
    )
    return with_workload(providers, starts_at=starts_at).filter(
        day_hours__lte=day_hours_limit(duration) - duration,
        week_hours__lte=timedelta(hours=settings.MAX_WORK_HOURS_PER_WEEK) - duration,
    )


@dataclass(frozen=True)
class ScheduleProblem:
    code: str  # "busy", "time_off", "day_hours" or "week_hours"
    message: str


def schedule_problem(
    *, provider: Provider, starts_at: datetime, ends_at: datetime, exclude_order_id=None
) -> ScheduleProblem | None:
    """Why the provider may not take a job [starts_at, ends_at) (too close to another job, time
    off, over the daily or weekly hours), or None when they may. One query. `exclude_order_id`
    is the order being placed, so that its own row never counts against it."""
    local_start = timezone.localtime(starts_at)
    local_end = timezone.localtime(ends_at)
    busy = clashing_jobs(provider_ref=OuterRef("pk"), starts_at=starts_at, ends_at=ends_at)
    if exclude_order_id is not None:
        busy = busy.exclude(pk=exclude_order_id)
    row = (
        with_workload(
            Provider.objects.filter(pk=provider.pk),
            starts_at=starts_at,
            exclude_order_id=exclude_order_id,
        )
        .annotate(
            off=Exists(
                TimeOff.objects.filter(
                    provider=OuterRef("pk"),
                    starts_on__lte=local_end.date(),
                    ends_on__gte=local_start.date(),
                )
            ),
            busy=Exists(busy),
        )
        .values("off", "busy", "day_hours", "week_hours")
        .get()
    )
    duration = ends_at - starts_at
    if row["busy"]:
        return ScheduleProblem("busy", _("This provider is already booked at that time."))
    if row["off"]:
        return ScheduleProblem("time_off", _("This provider is on time off that day."))
    if row["day_hours"] + duration > day_hours_limit(duration):
        return ScheduleProblem(
            "day_hours",
            _("This job would take the provider over %(hours)s working hours that day.")
            % {"hours": f"{day_hours_limit(duration).total_seconds() / 3600:g}"},
        )
    if row["week_hours"] + duration > timedelta(hours=settings.MAX_WORK_HOURS_PER_WEEK):
        return ScheduleProblem(
            "week_hours",
            _("This job would take the provider over %(hours)s working hours that week.")
            % {"hours": settings.MAX_WORK_HOURS_PER_WEEK},
        )
    return None


def bookable_start_times(
    *,
    service_type: ServiceType,
    day: date,
    home_area_sqm: int | None = None,
    times,
    duration: timedelta | None = None,
):
    """The local start datetimes among `times` on `day` that the booking rules allow: within
    the lead time and the booking horizon, ending the same day. No query when `duration` (the
    quote's, options included) is given; otherwise a plain quote for the home area."""
    if duration is None:
        duration = quote_for(service_type=service_type, home_area_sqm=home_area_sqm).duration
    now = timezone.now()
    earliest = now + timedelta(minutes=settings.BOOKING_MIN_LEAD_MINUTES)
    latest = now + timedelta(days=settings.BOOKING_MAX_DAYS_AHEAD)
    allowed = []
    for start in times:
        starts_at = timezone.make_aware(datetime.combine(day, start))
        ends_at = starts_at + duration
        if earliest <= starts_at <= latest and timezone.localtime(ends_at).date() == day:
            allowed.append((start, starts_at, ends_at))
    return allowed


@dataclass(frozen=True)
class DaySchedule:
    """What one provider's day looks like, for deciding start times in Python."""

    windows: list[tuple[time, time]]  # working hours that weekday (local times)
    jobs: list[tuple[datetime, datetime, datetime | None]]  # blocking (starts, ends, blocked)
    day_hours: timedelta  # counted work starting that local day
    week_hours: timedelta  # counted work starting that local week


def is_free(schedule: DaySchedule, *, starts_at: datetime, ends_at: datetime, gap) -> bool:
    """Whether a provider who could work that day at all (bookable, skilled, in the area, not
    on time off) may take [starts_at, ends_at): the working-hours, clash and workload rules of
    eligible_providers, in Python."""
    local_start = timezone.localtime(starts_at).time()
    local_end = timezone.localtime(ends_at).time()
    if not any(starts <= local_start and ends >= local_end for starts, ends in schedule.windows):
        return False
    for job_starts, job_ends, blocked_until in schedule.jobs:
        if job_starts < ends_at + gap and (
            job_ends > starts_at - gap or (blocked_until is not None and blocked_until > starts_at)
        ):
            return False
    duration = ends_at - starts_at
    return (
        schedule.day_hours <= day_hours_limit(duration) - duration
        and schedule.week_hours <= timedelta(hours=settings.MAX_WORK_HOURS_PER_WEEK) - duration
    )


def day_schedules(*, service_type: ServiceType, area: ServiceArea, day: date):
    """The schedules of the providers who could work on the local `day` at all: bookable, with
    every skill the service needs, serving the area, with working hours that weekday and not on
    time off that day (the same filters as eligible_providers). Three queries at most."""
    skills_needed = ServiceType.required_skills.through.objects.filter(
        servicetype_id=service_type.pk
    )
    skills_held = Provider.skills.through.objects.filter(provider_id=OuterRef(OuterRef("pk")))
    missing_skill = skills_needed.exclude(skill_id__in=skills_held.values("skill_id"))
    off_that_day = TimeOff.objects.filter(
        provider=OuterRef("pk"), starts_on__lte=day, ends_on__gte=day
    )
    providers = (
        serving(qualified_providers(service_type), area=area)
        .exclude(Exists(missing_skill))
        .exclude(Exists(off_that_day))
    )
    windows: dict[int, list[tuple[time, time]]] = {}
    for provider_id, starts, ends in WorkingHours.objects.filter(
        provider__in=providers.values("pk"), weekday=day.weekday()
    ).values_list("provider_id", "starts", "ends"):
        windows.setdefault(provider_id, []).append((starts, ends))
    if not windows:
        return {}
    day_start, day_end = _day_bounds(day)
    week_start, week_end = _week_bounds(day)
    in_day = Q(starts_at__gte=day_start, starts_at__lt=day_end)
    worked = DurationField()
    hours = {
        row["provider"]: (row["day_hours"] or timedelta(0), row["week_hours"] or timedelta(0))
        for row in Order.objects.filter(
            provider__in=list(windows),
            status__in=WORKLOAD_STATUSES,
            starts_at__gte=week_start,
            starts_at__lt=week_end,
        )
        .order_by()
        .values("provider")
        .annotate(
            day_hours=Sum(F("ends_at") - F("starts_at"), filter=in_day, output_field=worked),
            week_hours=Sum(F("ends_at") - F("starts_at"), output_field=worked),
        )
    }
    # Every blocking job that could clash with a job starting and ending that day.
    gap = gap_between_jobs()
    jobs: dict[int, list] = {}
    for provider_id, *held in (
        Order.objects.blocking()
        .filter(provider__in=list(windows), starts_at__lt=day_end + gap)
        .filter(Q(ends_at__gt=day_start - gap) | Q(blocked_until__gt=day_start))
        .values_list("provider_id", "starts_at", "ends_at", "blocked_until")
    ):
        jobs.setdefault(provider_id, []).append(tuple(held))
    no_hours = (timedelta(0), timedelta(0))
    return {
        provider_id: DaySchedule(
            provider_windows, jobs.get(provider_id, []), *hours.get(provider_id, no_hours)
        )
        for provider_id, provider_windows in windows.items()
    }


def available_start_times(
    *,
    service_type: ServiceType,
    area: ServiceArea,
    day: date,
    home_area_sqm: int | None = None,
    times=START_TIMES,
    duration: timedelta | None = None,
) -> list[time]:
    """The booking form's start times on the local `day` at which at least one provider can
    take the job. At most three queries, however many providers and start times there are
    (none when no time is bookable): the day's schedules are read once (day_schedules) and each
    start time is decided in Python (is_free), with the same rules as eligible_providers."""
    candidates = bookable_start_times(
        service_type=service_type,
        day=day,
        home_area_sqm=home_area_sqm,
        times=times,
        duration=duration,
    )
    if not candidates:
        return []
    schedules = day_schedules(service_type=service_type, area=area, day=day).values()
    gap = gap_between_jobs()
    return [
        start
        for start, starts_at, ends_at in candidates
        if any(is_free(s, starts_at=starts_at, ends_at=ends_at, gap=gap) for s in schedules)
    ]


def is_start_available(
    *, service_type: ServiceType, area: ServiceArea, starts_at: datetime, ends_at: datetime
) -> bool:
    """Whether anybody can take a job then. One query."""
    return eligible_providers(
        service_type=service_type, area=area, starts_at=starts_at, ends_at=ends_at
    ).exists()


@dataclass(frozen=True)
class NewTime:
    """A start time an order may move to, and whether its assigned provider can come then."""

    start: time
    keeps_provider: bool


def _without(schedule: DaySchedule, order: Order, day: date) -> DaySchedule:
    """The provider's schedule without the order being moved (its own time never counts)."""
    jobs = [job for job in schedule.jobs if job[:2] != (order.starts_at, order.ends_at)]
    local_day = timezone.localtime(order.starts_at).date()
    duration = order.ends_at - order.starts_at
    day_hours, week_hours = schedule.day_hours, schedule.week_hours
    if local_day == day:
        day_hours -= duration
    if _week_bounds(local_day) == _week_bounds(day):
        week_hours -= duration
    return DaySchedule(schedule.windows, jobs, day_hours, week_hours)


def new_times(*, order: Order, day: date) -> list[NewTime]:
    """The standard start times on the local `day` the order may move to (the booking rules
    allow them and somebody can take the job), its assigned provider's first (R-ORD-5). Three
    queries, however many providers and times."""
    candidates = bookable_start_times(
        service_type=order.service_type, day=day, times=START_TIMES, duration=order.duration
    )
    if not candidates:
        return []
    schedules = day_schedules(service_type=order.service_type, area=order.area, day=day)
    own = schedules.pop(order.provider_id, None) if order.provider_id else None
    if own is not None:
        own = _without(own, order, day)
    gap = gap_between_jobs()
    found = []
    for start, starts_at, ends_at in candidates:
        keeps = own is not None and is_free(own, starts_at=starts_at, ends_at=ends_at, gap=gap)
        if keeps or any(
            is_free(s, starts_at=starts_at, ends_at=ends_at, gap=gap) for s in schedules.values()
        ):
            found.append(NewTime(start=start, keeps_provider=keeps))
    return sorted(found, key=lambda new: not new.keeps_provider)
