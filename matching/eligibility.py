"""Who may take a job by the rules that depend on a roster alone (R-MAT-1), written once for
the ranking of one order (matching/ranking.py) and the batch assignment (matching/batch/).

These are the rules of `orders.scheduling.eligible_providers` decided over a roster's columns
(matching/roster.py): a status matching looks for (`providers.selectors.matching_statuses`,
the one place that reads MATCHING_INCLUDE_PROBATION) with an active user, a tier the service
accepts, every skill it requires, working hours that weekday covering the job's local times, no
time off on a local day the job touches, and serving the place: a member of the order's area or
within their travel radius of the job's point (`within_reach`). What depends on the moment (the
provider's other jobs, their hours that day and week, who was offered the order before) is read
per order by the callers. tests/matching/test_ranking.py and test_batch_random.py compare both
callers with the SQL reference on random data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
from django.conf import settings

from orders.models import ServiceType
from providers.models import ProviderTier
from providers.selectors import matching_statuses

from .roster import Roster, time_of_day


@dataclass(frozen=True)
class JobTerms:
    """What the standing rules ask of a provider for one job. Hashable: a batch keeps the
    answer for each distinct job (`eligible`'s `memo`)."""

    statuses: tuple[str, ...]
    tiers: tuple[str, ...]
    skill_ids: tuple[int, ...]  # sorted
    weekday: int  # of the local start
    starts: int  # the local start and end as microseconds of the day
    ends: int
    first_day: date  # the local days of the start and of the end
    last_day: date

    @classmethod
    def of(
        cls, *, service_type: ServiceType, skill_ids, local_start: datetime, local_end: datetime
    ) -> JobTerms:
        """The terms of a job of `service_type` (whose required skills are `skill_ids`) at
        these local times."""
        return cls(
            statuses=matching_statuses(),
            tiers=tuple(tier for tier in ProviderTier.values if service_type.accepts_tier(tier)),
            skill_ids=tuple(sorted(skill_ids)),
            weekday=local_start.weekday(),
            starts=time_of_day(local_start.time()),
            ends=time_of_day(local_end.time()),
            first_day=local_start.date(),
            last_day=local_end.date(),
        )


def eligible(
    roster: Roster, terms: JobTerms, *, serving: np.ndarray | None = None, memo=None
) -> np.ndarray:
    """A column: who in the roster passes the standing rules for the job. `serving` marks
    those who serve its place (area members, or `within_reach`); None when the whole roster
    does (an area's own roster). `memo`, a dict, keeps the answer per job for the next job
    with the same terms (a batch passes one; ranking, one order at a time, does not)."""
    standing = memo.get(terms) if memo is not None else None
    if standing is None:
        standing = (
            roster.qualified(statuses=terms.statuses, tiers=terms.tiers)
            & roster.skilled(terms.skill_ids)
            & roster.working(weekday=terms.weekday, starts=terms.starts, ends=terms.ends)
            & ~roster.off(first=terms.first_day, last=terms.last_day)
        )
        if memo is not None:
            memo[terms] = standing
    return standing if serving is None else standing & serving


def within_reach(roster: Roster, point, distance_km: np.ndarray) -> np.ndarray:
    """A column: those whose travel radius (capped by MATCHING_MAX_TRAVEL_KM) reaches the job's
    point, `orders.geo.within_travel_radius`; nobody when the job has no point. `distance_km`
    is `roster.distance_km(point)`."""
    if point is None:
        return np.zeros(len(roster), dtype=bool)
    return roster.within_radius(point, distance_km, float(settings.MATCHING_MAX_TRAVEL_KM))
