"""The candidates of one order with their scores, fast: what `selectors.ranked_candidates` uses.

The reference, `selectors.ranked_candidates_in_sql`, is one query (orders.scheduling's
`eligible_providers` with the score's features as annotations) that PostgreSQL plans poorly at
scale: with 2,000-3,000 providers per area it evaluates the working-hours, clash and workload
subqueries per candidate (bench/README.md, matching). Here the same rules run on:

1. the rosters (matching/roster.py): the standing data of the area's providers and of those
   with a travel radius, cached in memory between changes, on which the rules that depend on
   them alone are decided at once per order (matching/eligibility.py: qualified, skilled,
   working for the whole job that weekday, not on time off, in the area or within their
   radius) with the score's fixed features (rating, jobs of the service, distance, an active
   reward);
2. three small queries for what belongs to the moment: the service's required skills, who was
   already offered the order, and the providers this customer rated well;
3. the candidates' jobs around the order (their hours that local day and week, and whether one
   clashes: the rules of `orders.scheduling.clashing_jobs` and `eligible_providers`' hour
   limits), read only for those that can still reach the top `limit`: a candidate's total with
   no hours this week is an upper bound of its score (workload is the only part that depends on
   the jobs), so the best bounds are read first and reading stops once no bound left can reach
   the `limit`-th score found (48, then 256 more, then the rest: at most three queries, and one
   in most cases);

then the clash and hour limits and the scores in Python. Scoring every candidate with
`scoring.score` (a dataclass per part) would cost more than the queries, so each candidate's
total is first computed with the same formula inline (`_quick_totals`), and only those that can
reach the top `limit` (within a margin far above the rounding difference) are scored exactly and
ranked with `scoring.rank`: the result is exactly `scoring.rank` over everyone, cut at `limit`.
tests/matching/test_ranking.py checks equality with the reference on random data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import numpy as np
from django.conf import settings
from django.db.models import Avg, Q
from django.utils import timezone

from core.db import id_array
from orders.geo import order_point
from orders.models import BLOCKING_STATUSES, Order, ServiceType
from orders.scheduling import (
    WORKLOAD_STATUSES,
    _day_bounds,
    _week_bounds,
    day_hours_limit,
    gap_between_jobs,
)

from . import roster, scoring
from .eligibility import JobTerms, eligible, within_reach
from .models import Offer

# Exact totals are rounded to 1e-6 per part; the inline totals may differ from them by a few
# millionths. Candidates within this margin of the cut are scored exactly.
MARGIN = 1e-3
# How many of the best bounds have their jobs read in each step (the rest, if still needed, in a
# last query): usually the first step decides.
READ_STEPS = (48, 256)


def _good_experiences(order: Order) -> list[int]:
    """Providers this customer rated well on average (selectors.with_features' past_good)."""
    return list(
        Order.objects.filter(
            customer_id=order.customer_id, provider__isnull=False, customer_rating__isnull=False
        )
        .order_by()
        .values("provider")
        .annotate(average=Avg("customer_rating"))
        .filter(average__gte=scoring.GOOD_RATING)
        .values_list("provider", flat=True)
    )


@dataclass
class Candidates:
    """The providers who pass every rule but the clash and the hour limits, as columns."""

    ids: np.ndarray
    rating: np.ndarray  # NaN: not rated
    rating_count: np.ndarray
    service_jobs: np.ndarray
    distance: np.ndarray  # NaN: unknown
    past_good: np.ndarray
    rewarded: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)

    def rows(self, picked=None):
        """(id, rating, rating count, service jobs, distance, past good, rewarded) tuples of
        the candidates at the `picked` positions (all when None)."""
        picked = slice(None) if picked is None else picked
        return list(
            zip(
                self.ids[picked].tolist(),
                [None if r != r else r for r in self.rating[picked].tolist()],
                self.rating_count[picked].tolist(),
                self.service_jobs[picked].tolist(),
                [None if d != d else d for d in self.distance[picked].tolist()],
                self.past_good[picked].tolist(),
                self.rewarded[picked].tolist(),
                strict=True,
            )
        )

    def bounds(self, w: scoring.Weights, preferred_id) -> np.ndarray:
        """Each candidate's total by `scoring.score`'s formula (within a few millionths) with
        the most favourable workload part: workload is the only part that depends on the jobs,
        so this is an upper bound of the candidate's score."""
        shrunk = scoring.shrunk_rating_columns(self.rating, self.rating_count, w)
        # At most what the distance rounded to 10 m gives (scores round it so).
        km = np.maximum(self.distance - 0.005, 0.0)
        distance_part = np.where(
            np.isnan(km),
            w.distance * 0.5,
            w.distance * (1.0 - np.minimum(1.0, np.maximum(km, 0.0) / w.distance_cap_km)),
        )
        return (
            w.kpi * 0.5  # the KPI is unknown (neutral) for everyone until the quality KPI exists
            + w.rating * np.clip((shrunk - 1.0) / 4.0, 0.0, 1.0)
            + w.experience
            * np.minimum(1.0, np.maximum(self.service_jobs, 0) / w.experience_cap_jobs)
            + max(0.0, w.workload)
            + distance_part
            + np.where(self.past_good, w.past_good, 0.0)
            + np.where(self.rewarded, w.reward, 0.0)
            + np.where(self.ids == (preferred_id or 0), w.preferred, 0.0)
        )


def _concatenate(parts: list[Candidates]) -> Candidates:
    if len(parts) == 1:
        return parts[0]
    return Candidates(
        *(
            np.concatenate([getattr(part, name) for part in parts])
            for name in Candidates.__dataclass_fields__
        )
    )


def candidates(order: Order, *, exclude_ids=()) -> Candidates:
    """Those who pass every rule but the clash and the hour limits, with the score's features
    (see the module doc, 1 and 2)."""
    service_type = order.service_type
    point = order_point(order)
    terms = JobTerms.of(
        service_type=service_type,
        skill_ids=ServiceType.required_skills.through.objects.filter(
            servicetype_id=service_type.pk
        ).values_list("skill_id", flat=True),
        local_start=timezone.localtime(order.starts_at),
        local_end=timezone.localtime(order.ends_at),
    )
    left_out = {*Offer.objects.filter(order=order).values_list("provider_id", flat=True)}
    left_out.update(exclude_ids)
    if order.avoid_provider_id:
        left_out.add(order.avoid_provider_id)
    past_good = _good_experiences(order)
    now = timezone.now()
    parts = []
    for group, serving, distance in _serving_groups(order.area_id, point):
        if not len(group):
            continue
        chosen = np.flatnonzero(eligible(group, terms, serving=serving))
        if left_out and len(chosen):
            chosen = chosen[~np.isin(group.ids[chosen], list(left_out))]
        if not len(chosen):
            continue
        if point is None:
            distance = np.full(len(chosen), np.nan)
        elif distance is None:
            distance = group.distance_km(point, chosen)
        else:
            distance = distance[chosen]
        ids = group.ids[chosen]
        parts.append(
            Candidates(
                ids=ids,
                rating=group.rating[chosen],
                rating_count=group.rating_count[chosen],
                service_jobs=group.service_jobs(service_type.pk)[chosen],
                distance=distance,
                past_good=np.isin(ids, past_good) if past_good else np.zeros(len(ids), bool),
                rewarded=group.rewarded(now)[chosen],
            )
        )
    if not parts:
        empty = np.zeros(0)
        return Candidates(empty.astype(np.int64), empty, empty, empty, empty, empty, empty)
    return _concatenate(parts)


def _serving_groups(area_id: int, point):
    """(roster, who of it serves the place or None for all, distances or None) for the area's
    members, who all serve it, and for the travellers outside the area whose radius reaches
    the point (none without a point)."""
    members = roster.area_roster(area_id)
    groups = [(members, None, None)]
    if point is not None:
        travellers = roster.travellers_roster()
        distance = travellers.distance_km(point)
        nearby = within_reach(travellers, point, distance) & members.outsiders(travellers)
        groups.append((travellers, nearby, distance))
    return groups


def job_totals(order: Order, provider_ids) -> dict[int, tuple[timedelta, timedelta, int]]:
    """provider id -> (hours that local day, hours that local week, clashing jobs), for those
    with any such job; one query for the jobs, summed here (see the module doc, 3)."""
    if not provider_ids:
        return {}
    starts_at, ends_at = order.starts_at, order.ends_at
    day = timezone.localtime(starts_at).date()
    day_start, day_end = _day_bounds(day)
    week_start, week_end = _week_bounds(day)
    gap = gap_between_jobs()
    clashing = Q(status__in=BLOCKING_STATUSES, starts_at__lt=ends_at + gap) & (
        Q(ends_at__gt=starts_at - gap) | Q(blocked_until__gt=starts_at)
    )
    ids = provider_ids if len(provider_ids) <= READ_STEPS[-1] else id_array(provider_ids)
    jobs = (
        Order.objects.filter(provider_id__in=ids, status__in=WORKLOAD_STATUSES)
        .filter(Q(starts_at__gte=week_start, starts_at__lt=week_end) | clashing)
        .order_by()
        .values_list("provider_id", "status", "starts_at", "ends_at", "blocked_until")
    )
    zero = timedelta(0)
    totals = {}
    for provider_id, status, job_start, job_end, blocked_until in jobs:
        day_hours, week_hours, clashes = totals.get(provider_id, (zero, zero, 0))
        if week_start <= job_start < week_end:
            week_hours += job_end - job_start
            if day_start <= job_start < day_end:
                day_hours += job_end - job_start
        if (
            status in BLOCKING_STATUSES
            and job_start < ends_at + gap
            and (job_end > starts_at - gap or (blocked_until and blocked_until > starts_at))
        ):
            clashes += 1
        totals[provider_id] = (day_hours, week_hours, clashes)
    return totals


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
    if limit is not None and limit <= 0:
        return []
    found = candidates(order, exclude_ids=exclude_ids)
    duration = order.ends_at - order.starts_at
    day_limit = day_hours_limit(duration) - duration
    week_limit = timedelta(hours=settings.MAX_WORK_HOURS_PER_WEEK) - duration
    preferred_id = order.preferred_provider_id
    week_hours = {}

    def free(rows):
        """Those of `rows` whose jobs leave room for the order; their hours in week_hours."""
        totals = job_totals(order, [row[0] for row in rows])
        kept = []
        for row in rows:
            jobs = totals.get(row[0])
            if jobs is not None:
                day_hours, hours, clashes = jobs
                if clashes or day_hours > day_limit or hours > week_limit:
                    continue
                week_hours[row[0]] = round(hours.total_seconds() / 3600, 4)
            kept.append(row)
        return kept

    if limit is None or len(found) <= READ_STEPS[0]:
        eligible = free(found.rows())
    else:
        # The best bounds first; the next ones only while one of them could reach the top.
        bounds = found.bounds(weights, preferred_id)
        best_first = np.argsort(-bounds, kind="stable")
        eligible, read = [], 0
        for step in (*READ_STEPS, len(found)):
            eligible += free(found.rows(best_first[read:step]))
            read = step
            if read >= len(found):
                break
            quick = sorted(_quick_totals(eligible, week_hours, weights, preferred_id))
            if len(quick) >= limit and bounds[best_first[read]] < quick[-limit] - MARGIN:
                break
    if limit is not None and len(eligible) > limit:
        quick = _quick_totals(eligible, week_hours, weights, preferred_id)
        cut = sorted(quick, reverse=True)[limit - 1] - MARGIN
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
