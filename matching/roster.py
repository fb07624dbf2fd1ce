"""Providers' standing data for ranking, kept in memory per area between the changes to it.

Ranking one order (matching/ranking.py) must look at every provider who serves its area, about
2,000-3,000 of them per area in a large city, yet almost all it needs of them changes rarely:
status and tier, skills, weekly working hours, time off, location and travel radius, rating,
completed jobs per service, rewards. A `Roster` holds exactly that for one area's members (or
for every provider with a travel radius, who may take jobs anywhere near their home) as numpy
columns, so that the rules of `orders.scheduling.eligible_providers` that depend only on it
(qualified, skilled, working then, not on time off, within the radius: matching/eligibility.py)
are decided per order in microseconds. What depends on the moment stays in the database and is
read per order: the order's past offers, the customer's good ratings and the providers' jobs
around it. The batch assignment loads a roster of its own, afresh (matching/batch/pool.py).

Rosters are kept per process with `core.kept.Kept`, one per part (an area, or the travellers)
under the family's version and the part's in the shared cache (Redis). A change to a provider's
standing data bumps the versions of the rosters holding them once the transaction commits
(signals, `connect()`); the next ranking in any process sees the new version and reloads that
roster (six queries). While the current transaction itself holds such a change (a test, or a
service that changes a provider and ranks in one transaction), rosters are read afresh and not
kept, so nobody ever ranks on data a rollback undid. Without the cache (Redis down), every
ranking reads afresh.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import numpy as np
from django.db.models import Count
from django.db.models.signals import m2m_changed, post_delete, post_save

from accounts.models import User
from core.db import id_array
from core.kept import Kept, on_save_and_delete
from orders.geo import EARTH_RADIUS_KM, KM_PER_DEGREE_LATITUDE
from orders.models import Order, OrderStatus
from providers.models import Provider, ProviderReward, ProviderSkill, TimeOff, WorkingHours

TRAVELLERS = "travellers"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
NEVER = np.iinfo(np.int64).max


def area_key(area_id: int) -> str:
    return f"area:{area_id}"


def microseconds(moment: datetime) -> int:
    return (moment - EPOCH) // MICROSECOND


def time_of_day(moment) -> int:
    """A datetime.time as microseconds since midnight."""
    return ((moment.hour * 60 + moment.minute) * 60 + moment.second) * 1_000_000 + (
        moment.microsecond
    )


def _array(values, dtype) -> np.ndarray:
    return np.array(values, dtype=dtype) if values else np.zeros(0, dtype=dtype)


def haversine_km_columns(point, latitudes: np.ndarray, longitudes: np.ndarray) -> np.ndarray:
    """orders.geo's haversine distance from the point to each (latitude, longitude), in numpy
    (NaN where a coordinate is NaN)."""
    lat0, lng0 = math.radians(point[0]), math.radians(point[1])
    lat, lng = np.radians(latitudes), np.radians(longitudes)
    h = np.sin((lat - lat0) / 2) ** 2 + np.cos(lat) * math.cos(lat0) * (
        np.sin((lng - lng0) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(1.0, h)))


@dataclass
class Roster:
    """Columns over the same providers (index i is `ids[i]`), and flat tables of their
    working hours, time off and rewards pointing at those indexes."""

    ids: np.ndarray
    status: np.ndarray
    tier: np.ndarray
    user_active: np.ndarray
    rating: np.ndarray  # NaN: not rated
    rating_count: np.ndarray
    latitude: np.ndarray  # NaN: unknown
    longitude: np.ndarray
    radius_km: np.ndarray
    skills: dict[int, np.ndarray]  # skill id -> holds it
    jobs_by_service: dict[int, np.ndarray]  # service type id -> completed jobs
    hours: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # index, weekday, from, until
    time_off: tuple[np.ndarray, np.ndarray, np.ndarray]  # index, first day, last day (ordinals)
    rewards: tuple[np.ndarray, np.ndarray, np.ndarray]  # index, from, until (microseconds)
    derived: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.ids)

    def flags(self, rows: np.ndarray) -> np.ndarray:
        """A boolean column set at the given indexes."""
        found = np.zeros(len(self), dtype=bool)
        found[rows] = True
        return found

    def _remembered(self, key, compute):
        """A column derived from the roster alone, computed once."""
        found = self.derived.get(key)
        if found is None:
            found = self.derived[key] = compute()
        return found

    def qualified(self, *, statuses: tuple, tiers: tuple) -> np.ndarray:
        return self._remembered(
            ("qualified", statuses, tiers),
            lambda: (
                np.isin(self.status, list(statuses))
                & self.user_active
                & np.isin(self.tier, list(tiers))
            ),
        )

    def skilled(self, skill_ids: tuple) -> np.ndarray:
        def holds_all():
            holds = np.ones(len(self), dtype=bool)
            for skill_id in skill_ids:
                column = self.skills.get(skill_id)
                if column is None:
                    return np.zeros(len(self), dtype=bool)
                holds &= column
            return holds

        return self._remembered(("skilled", tuple(sorted(skill_ids))), holds_all)

    def outsiders(self, other: Roster) -> np.ndarray:
        """Those of `other` who are not in this roster."""
        # Kept with the roster it was computed for: a reloaded one gets its own.
        kept = self.derived.get("outsiders")
        if kept is None or kept[0] is not other:
            kept = self.derived["outsiders"] = (other, ~np.isin(other.ids, self.ids))
        return kept[1]

    def working(self, *, weekday: int, starts: int, ends: int) -> np.ndarray:
        """Working hours that weekday cover [starts, ends] (microseconds of the day)."""
        index, days, froms, untils = self.hours
        return self.flags(index[(days == weekday) & (froms <= starts) & (untils >= ends)])

    def off(self, *, first: date, last: date) -> np.ndarray:
        """On time off any day between first and last."""
        index, starts_on, ends_on = self.time_off
        return self.flags(index[(starts_on <= last.toordinal()) & (ends_on >= first.toordinal())])

    def rewarded(self, now: datetime) -> np.ndarray:
        index, starts, ends = self.rewards
        moment = microseconds(now)
        return self.flags(index[(starts <= moment) & (ends > moment)])

    def service_jobs(self, service_type_id: int) -> np.ndarray:
        jobs = self.jobs_by_service.get(service_type_id)
        return jobs if jobs is not None else np.zeros(len(self), dtype=np.int64)

    def distance_km(self, point: tuple[float, float], rows=None) -> np.ndarray:
        """The haversine distance from the point (of those at `rows`, else everyone's), the
        very formula of orders.geo.distance_km (NaN without coordinates)."""
        rows = slice(None) if rows is None else rows
        return haversine_km_columns(point, self.latitude[rows], self.longitude[rows])

    def within_radius(self, point, distance: np.ndarray, max_km: float) -> np.ndarray:
        """orders.geo.within_travel_radius: a radius, inside the box, then the distance."""
        lat, lng = point
        dlat = max_km / KM_PER_DEGREE_LATITUDE
        cos_lat = max(math.cos(math.radians(lat)), 0.01)
        dlng = min(max_km / (KM_PER_DEGREE_LATITUDE * cos_lat), 180.0)
        with np.errstate(invalid="ignore"):
            return (
                (self.radius_km > 0)
                & (self.latitude >= lat - dlat)
                & (self.latitude <= lat + dlat)
                & (self.longitude >= lng - dlng)
                & (self.longitude <= lng + dlng)
                & (distance <= np.minimum(self.radius_km, max_km))
            )


def load_roster(providers) -> Roster:
    """A Roster of the `providers` queryset: six queries whatever their number."""
    rows = list(
        providers.order_by("pk").values_list(
            "pk",
            "status",
            "tier",
            "user__is_active",
            "rating_average",
            "rating_count",
            "latitude",
            "longitude",
            "travel_radius_km",
        )
    )
    ids = [row[0] for row in rows]
    # Provider id -> roster row, for the tables read next (one query each, by id array).
    position = {pk: i for i, pk in enumerate(ids)}
    roster_ids = id_array(ids)
    nan = float("nan")
    return Roster(
        ids=_array(ids, np.int64),
        status=np.array([row[1] for row in rows], dtype=object),
        tier=np.array([row[2] for row in rows], dtype=object),
        user_active=_array([row[3] for row in rows], bool),
        rating=_array([nan if row[4] is None else row[4] for row in rows], np.float64),
        rating_count=_array([row[5] for row in rows], np.int64),
        latitude=_array([nan if row[6] is None else row[6] for row in rows], np.float64),
        longitude=_array([nan if row[7] is None else row[7] for row in rows], np.float64),
        radius_km=_array([float(row[8] or 0) for row in rows], np.float64),
        skills=_skill_columns(roster_ids, position),
        jobs_by_service=_completed_jobs_columns(roster_ids, position),
        hours=_table(
            WorkingHours.objects.filter(provider_id__in=roster_ids).values_list(
                "provider_id", "weekday", "starts", "ends"
            ),
            position,
            int,
            time_of_day,
            time_of_day,
        ),
        time_off=_table(
            TimeOff.objects.filter(provider_id__in=roster_ids).values_list(
                "provider_id", "starts_on", "ends_on"
            ),
            position,
            date.toordinal,
            date.toordinal,
        ),
        rewards=_table(
            ProviderReward.objects.filter(provider_id__in=roster_ids).values_list(
                "provider_id", "starts", "ends"
            ),
            position,
            microseconds,
            _end_of_reward,
        ),
    )


def _skill_columns(roster_ids, position: dict[int, int]) -> dict[int, np.ndarray]:
    skills: dict[int, np.ndarray] = {}
    for provider_id, skill_id in ProviderSkill.objects.filter(
        provider_id__in=roster_ids
    ).values_list("provider_id", "skill_id"):
        column = skills.setdefault(skill_id, np.zeros(len(position), dtype=bool))
        column[position[provider_id]] = True
    return skills


def _completed_jobs_columns(roster_ids, position: dict[int, int]) -> dict[int, np.ndarray]:
    jobs_by_service: dict[int, np.ndarray] = {}
    completed = (
        Order.objects.filter(provider_id__in=roster_ids, status=OrderStatus.COMPLETED)
        .order_by()
        .values_list("provider_id", "service_type_id")
        .annotate(jobs=Count("pk"))
    )
    for provider_id, service_type_id, jobs in completed:
        column = jobs_by_service.setdefault(
            service_type_id, np.zeros(len(position), dtype=np.int64)
        )
        column[position[provider_id]] = jobs
    return jobs_by_service


def _table(rows, position: dict[int, int], *convert) -> tuple[np.ndarray, ...]:
    """A flat table of (provider id, value...) rows as int64 columns: the provider's roster
    row, then each value through its `convert`."""
    rows = list(rows)
    return (
        _array([position[row[0]] for row in rows], np.int64),
        *(
            _array([to_int(row[i]) for row in rows], np.int64)
            for i, to_int in enumerate(convert, start=1)
        ),
    )


def _end_of_reward(ends: datetime | None) -> int:
    return NEVER if ends is None else microseconds(ends)


def _load_part(part: str) -> Roster:
    if part == TRAVELLERS:
        return load_roster(Provider.objects.filter(travel_radius_km__gt=0))
    return load_roster(Provider.objects.filter(areas=int(part.removeprefix("area:"))))


rosters: Kept[Roster] = Kept("matching-rosters", _load_part)


def area_roster(area_id: int) -> Roster:
    """Every provider who serves the area (whatever their status: rules apply per order)."""
    return rosters.get(area_key(area_id))


def travellers_roster() -> Roster:
    """Every provider with a travel radius, who may take jobs near their home in any area."""
    return rosters.get(TRAVELLERS)


# Versions ---------------------------------------------------------------------------------------


def rosters_changed(
    *, provider_id: int | None = None, user_id: int | None = None, keys=(), everyone=False
) -> None:
    """Standing data changed (of a provider, the provider of a user, the rosters `keys`, or
    everyone's): once the transaction commits, the rosters holding them are reloaded on their
    next use."""
    if everyone:
        rosters.changed()
        return
    if provider_id is None and user_id is None:
        rosters.changed(*keys)
        return

    def holding_rosters():
        providers = (
            Provider.objects.filter(user_id=user_id)
            if user_id is not None
            else Provider.objects.filter(pk=provider_id)
        )
        areas = Provider.areas.through.objects.filter(
            provider_id__in=providers.values("pk")
        ).values_list("servicearea_id", flat=True)
        # The travellers too: the provider may just have lost a radius they had.
        return [*(area_key(area) for area in areas), TRAVELLERS]

    rosters.changed(*keys, parts_on_commit=holding_rosters)


def _provider_saved(sender, instance: Provider, **kwargs) -> None:
    rosters_changed(provider_id=instance.pk)


def _provider_deleted(sender, instance: Provider, **kwargs) -> None:
    rosters_changed(everyone=True)  # its areas are gone with it


def _detail_saved(sender, instance, **kwargs) -> None:
    rosters_changed(provider_id=instance.provider_id)


def _user_saved(sender, instance: User, created=False, update_fields=None, **kwargs) -> None:
    if created or (update_fields is not None and "is_active" not in update_fields):
        return  # a new user is nobody's provider yet; last_login: nothing matching reads
    rosters_changed(user_id=instance.pk)


def _order_saved(sender, instance: Order, **kwargs) -> None:
    # Completed jobs per service count in the score.
    if instance.status == OrderStatus.COMPLETED and instance.provider_id is not None:
        rosters_changed(provider_id=instance.provider_id)


def _areas_changed(sender, instance, action: str, pk_set=None, **kwargs) -> None:
    if not isinstance(instance, Provider):  # from the area's side
        if action.startswith("post_") or action == "pre_clear":
            rosters_changed(keys=[area_key(instance.pk)])
        return
    if action in ("post_add", "post_remove"):
        rosters_changed(provider_id=instance.pk, keys=[area_key(pk) for pk in pk_set or ()])
    elif action == "pre_clear":  # the areas it leaves, before they are forgotten
        rosters_changed(
            keys=[area_key(pk) for pk in instance.areas.values_list("pk", flat=True)],
            provider_id=instance.pk,
        )


def _skills_changed(sender, instance, action: str, **kwargs) -> None:
    if action.startswith("post_"):
        if isinstance(instance, Provider):
            rosters_changed(provider_id=instance.pk)
        else:
            rosters_changed(everyone=True)


def connect() -> None:
    post_save.connect(_provider_saved, sender=Provider, dispatch_uid="roster-provider")
    post_delete.connect(_provider_deleted, sender=Provider, dispatch_uid="roster-provider-gone")
    on_save_and_delete(
        _detail_saved, ProviderSkill, WorkingHours, TimeOff, ProviderReward, name="roster"
    )
    post_save.connect(_user_saved, sender=User, dispatch_uid="roster-user")
    on_save_and_delete(_order_saved, Order, name="roster")
    m2m_changed.connect(_areas_changed, sender=Provider.areas.through, dispatch_uid="roster-areas")
    m2m_changed.connect(
        _skills_changed, sender=Provider.skills.through, dispatch_uid="roster-skills"
    )
