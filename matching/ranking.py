"""The candidates of one order with their scores, fast: what `selectors.ranked_candidates` uses.

The reference, `selectors.ranked_candidates_in_sql`, is one query (orders.scheduling's
`eligible_providers` with the score's features as annotations) that PostgreSQL plans poorly at
scale: with 2,000-3,000 providers per area it evaluates the working-hours, clash and workload
subqueries per candidate, the workload ones twice, and builds a hash of every provider working
at that hour (bench/README.md, matching). Here the same rules run in a fixed number of queries:

1. who serves the order's area or lives within their travel radius of the job (one query, the
   ids only);
2. of those, the qualified (bookable, probation per setting, tier), skilled, working for the
   whole job that weekday and not on time off, nor already offered the order, nor avoided or
   excluded, with the score's fixed features (`selectors.with_features`: jobs of the service,
   the customer's good past ratings, an active reward, the distance), filtered by an id array
   so that every subquery is an index probe per candidate;
3. their jobs that count (the order's local day and week, and blocking jobs near it), summed per
   provider in one pass: hours that day and week, and whether one clashes (the rules of
   `orders.scheduling.clashing_jobs` and `eligible_providers`' hour limits);

then, in Python, the clash and hour limits and the scores. Scoring every candidate with
`scoring.score` (a dataclass per part) would cost more than the queries, so each candidate's
total is first computed with the same formula inline (`_quick_totals`), and only those that can
reach the top `limit` (within a margin far above the rounding difference) are scored exactly and
ranked with `scoring.rank`: the result is exactly `scoring.rank` over everyone, cut at `limit`.
tests/matching/test_ranking.py checks equality with the reference on random data.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Count, DurationField, Exists, F, OuterRef, Q, Sum
from django.db.models.expressions import RawSQL
from django.utils import timezone

from orders.geo import order_point, within_travel_radius
from orders.models import BLOCKING_STATUSES, Order, ServiceType
from orders.scheduling import (
    WORKLOAD_STATUSES,
    _day_bounds,
    _week_bounds,
    day_hours_limit,
    gap_between_jobs,
    qualified_providers,
)
from providers.models import Provider, TimeOff, WorkingHours

from . import scoring
from .models import Offer

# Exact totals are rounded to 1e-6 per part; the inline totals may differ from them by a few
# millionths. Candidates within this margin of the cut are scored exactly.
MARGIN = 1e-3


def id_array(ids):
    """A list of ids as one array parameter on PostgreSQL (thousands of placeholders cost more
    to build and plan than the query), else as a list."""
    ids = list(ids)
    if connection.vendor == "postgresql":
        return RawSQL("SELECT unnest(%s::bigint[])", (ids,))
    return ids


def serving_ids(order: Order, point) -> list[int]:
    """Ids of the providers who serve the order's area or live within their travel radius of
    the job (orders.scheduling.serving, as ids)."""
    members = (
        Provider.areas.through.objects.filter(servicearea_id=order.area_id)
        .order_by()
        .values_list("provider_id", flat=True)
    )
    if point is None:
        return list(members)
    nearby = (
        Provider.objects.filter(within_travel_radius(point)).order_by().values_list("pk", flat=True)
    )
    return list(members.union(nearby))


def candidate_rows(order: Order, *, exclude_ids=()):
    """(id, rating, rating count, service jobs, distance, past good, rewarded) of the providers
    who pass every rule but the clash and the hour limits (see the module doc, 1 and 2)."""
    from .selectors import with_features  # selectors imports this module

    point = order_point(order)
    ids = serving_ids(order, point)
    if not ids:
        return []
    service_type = order.service_type
    local_start = timezone.localtime(order.starts_at)
    local_end = timezone.localtime(order.ends_at)
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
    providers = (
        qualified_providers(service_type)
        .filter(pk__in=id_array(ids))
        .filter(Exists(works_then))
        .exclude(Exists(missing_skill))
        .exclude(Exists(off_then))
        .exclude(pk__in=Offer.objects.filter(order=order).values("provider_id"))
        .exclude(pk=order.avoid_provider_id or 0)
        .exclude(pk__in=list(exclude_ids))
        .order_by()
    )
    return list(
        with_features(providers, order=order, point=point).values_list(
            "pk",
            "rating_average",
            "rating_count",
            "service_jobs",
            "distance",
            "past_good",
            "rewarded",
        )
    )


def job_totals(order: Order, provider_ids) -> dict[int, tuple[timedelta, timedelta, int]]:
    """provider id -> (hours that local day, hours that local week, clashing jobs), for those
    with any such job; one query (see the module doc, 3)."""
    if not provider_ids:
        return {}
    starts_at, ends_at = order.starts_at, order.ends_at
    day = timezone.localtime(starts_at).date()
    day_start, day_end = _day_bounds(day)
    week_start, week_end = _week_bounds(day)
    gap = gap_between_jobs()
    in_day = Q(starts_at__gte=day_start, starts_at__lt=day_end)
    in_week = Q(starts_at__gte=week_start, starts_at__lt=week_end)
    clashing = Q(status__in=BLOCKING_STATUSES, starts_at__lt=ends_at + gap) & (
        Q(ends_at__gt=starts_at - gap) | Q(blocked_until__gt=starts_at)
    )
    worked = F("ends_at") - F("starts_at")
    rows = (
        Order.objects.filter(provider_id__in=id_array(provider_ids), status__in=WORKLOAD_STATUSES)
        .filter(in_week | clashing)
        .order_by()
        .values("provider")
        .annotate(
            day_hours=Sum(worked, filter=in_day, output_field=DurationField()),
            week_hours=Sum(worked, filter=in_week, output_field=DurationField()),
            clashes=Count("pk", filter=clashing),
        )
        .values_list("provider", "day_hours", "week_hours", "clashes")
    )
    zero = timedelta(0)
    return {
        provider_id: (day_hours or zero, week_hours or zero, clashes)
        for provider_id, day_hours, week_hours, clashes in rows
    }


def _quick_totals(rows, week_hours: dict[int, float], w: scoring.Weights, preferred_id):
    """Each row's total with `scoring.score`'s formula, without its rounding or objects:
    within a few millionths of the exact total."""
    neutral_prior = scoring.NEUTRAL_RATING * w.rating_prior_count
    # Parts equal for everyone: the KPI is unknown (neutral) until the quality KPI exists.
    base = w.kpi * 0.5
    result = []
    for pk, rating, count, jobs, distance, past_good, rewarded in rows:
        count = max(count, 0) if rating is not None else 0
        denominator = count + w.rating_prior_count
        shrunk = (
            ((rating or 0.0) * count + neutral_prior) / denominator
            if denominator > 0
            else scoring.NEUTRAL_RATING
        )
        hours = week_hours.get(pk, 0.0)
        total = (
            base
            + w.rating * min(1.0, max(0.0, (shrunk - 1.0) / 4.0))
            + w.experience * min(1.0, max(jobs, 0) / w.experience_cap_jobs)
            + w.workload * (1.0 - min(1.0, max(hours, 0.0) / w.workload_cap_hours))
        )
        if distance is None:
            total += w.distance * 0.5
        else:
            total += w.distance * (1.0 - min(1.0, max(round(distance, 2), 0.0) / w.distance_cap_km))
        if past_good:
            total += w.past_good
        if rewarded:
            total += w.reward
        if pk == preferred_id:
            total += w.preferred
        result.append(total)
    return result


def top_scores(
    order: Order, *, limit: int | None = None, exclude_ids=(), weights: scoring.Weights
) -> list[scoring.Score]:
    """The eligible providers' Scores, best first, the first `limit` (all when None)."""
    rows = candidate_rows(order, exclude_ids=exclude_ids)
    totals = job_totals(order, [row[0] for row in rows])
    duration = order.ends_at - order.starts_at
    day_limit = day_hours_limit(duration) - duration
    week_limit = timedelta(hours=settings.MAX_WORK_HOURS_PER_WEEK) - duration
    eligible, week_hours = [], {}
    for row in rows:
        found = totals.get(row[0])
        if found is not None:
            day_hours, hours, clashes = found
            if clashes or day_hours > day_limit or hours > week_limit:
                continue
            week_hours[row[0]] = round(hours.total_seconds() / 3600, 4)
        eligible.append(row)
    preferred_id = order.preferred_provider_id
    if limit is not None and len(eligible) > limit:
        quick = _quick_totals(eligible, week_hours, weights, preferred_id)
        cut = sorted(quick, reverse=True)[limit - 1] - MARGIN if limit > 0 else float("inf")
        eligible = [row for row, total in zip(eligible, quick, strict=True) if total >= cut]
    scores = scoring.rank(
        scoring.score(
            scoring.CandidateFeatures(
                provider_id=pk,
                rating=rating,
                rating_count=count,
                kpi_percent=None,
                service_jobs=jobs,
                distance_km=round(distance, 2) if distance is not None else None,
                past_good_with_customer=past_good,
                week_hours=week_hours.get(pk, 0.0),
                rewarded=rewarded,
                preferred=pk == preferred_id,
            ),
            weights,
        )
        for pk, rating, count, jobs, distance, past_good, rewarded in eligible
    )
    return scores[:limit] if limit is not None else scores
