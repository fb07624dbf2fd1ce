"""How good a candidate is for an order: a score with named parts (R-MAT-2, R-MAT-4, R-MAT-5).

Pure Python, no database: `matching.selectors` gathers each candidate's `CandidateFeatures` in
one query and calls `score()`. The batch assignment (`matching.batch.problem`) scores tens of
thousands of pairs at once with `part_columns` / `total_columns`, the same formula over numpy
columns, equal to `part_values` / `total_of` value for value (tests/matching/test_scoring.py).
Every part is bounded: it lies in [0, weight], so the total lies in [0, sum of the weights] and
no single feature can swamp the others beyond its weight.

The parts (w_x is the weight of part x, settings.MATCHING_WEIGHTS; scales from
settings.MATCHING_SCALES):

- rating     = w_rating * (r - 1) / 4, where r is the average rating shrunk towards a neutral
               prior of 3 stars worth `rating_prior_count` ratings:
               r = (average * count + 3 * prior_count) / (count + prior_count).
               An unrated provider gets r = 3, half the weight; one 5-star rating does not beat a
               4.9 average over thirty.
- kpi        = w_kpi * kpi_percent / 100; unknown KPI (None) = half the weight (neutral).
- experience = w_experience * min(service_jobs, experience_cap_jobs) / experience_cap_jobs:
               completed jobs of this service, saturating at the cap.
- distance   = w_distance * (1 - min(km, distance_cap_km) / distance_cap_km); unknown distance
               (no coordinates) = half the weight.
- past_good  = w_past_good when this customer rated the provider well before (average >= 4).
- workload   = w_workload * (1 - min(week_hours, cap) / cap), cap = workload_cap_hours (default
               the weekly hour limit): fewer hours this week scores higher (R-MAT-5).
- reward     = w_reward while staff reward the provider (R-MAT-4).
- preferred  = w_preferred for the preferred provider of a recurring series.

Ties (equal totals) are broken by fewer hours this week, then the lower provider id
(`Score.sort_key`), so with equal scores the less-loaded provider wins.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
from django.conf import settings
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from providers.selectors import rating_figure

PARTS = (
    "rating",
    "kpi",
    "experience",
    "distance",
    "past_good",
    "workload",
    "reward",
    "preferred",
)

# What each part is called where staff see the parts (the operator's audit).
PART_LABELS = {
    "rating": gettext_lazy("Rating"),
    "kpi": gettext_lazy("Quality KPI"),
    "experience": gettext_lazy("Experience"),
    "distance": gettext_lazy("Distance"),
    "past_good": gettext_lazy("Rated well by this customer"),
    "workload": gettext_lazy("Light week"),
    "reward": gettext_lazy("Staff reward"),
    "preferred": gettext_lazy("Regular provider"),
}

DEFAULT_WEIGHTS = {
    "rating": 30.0,
    "kpi": 15.0,
    "experience": 15.0,
    "distance": 10.0,
    "past_good": 10.0,
    "workload": 10.0,
    "reward": 10.0,
    "preferred": 20.0,
}

DEFAULT_SCALES = {
    "rating_prior_count": 3.0,  # ratings' worth of a neutral 3-star prior
    "experience_cap_jobs": 50.0,  # jobs of the service beyond which experience counts no more
    "distance_cap_km": 20.0,  # from this distance on, the distance part is 0
    "workload_cap_hours": None,  # None: settings.MAX_WORK_HOURS_PER_WEEK
}

NEUTRAL_RATING = 3.0
GOOD_RATING = 4.0  # a customer's average rating of a provider that counts as a good experience
TOP_RATED_AVERAGE = 4.8  # "top-rated provider" needs this average ...
TOP_RATED_COUNT = 10  # ... over at least this many ratings
ROUNDING = 6  # parts are rounded so that equal inputs give exactly equal totals


@dataclass(frozen=True)
class Weights:
    """The weight of each part and the scales that bound them."""

    rating: float = DEFAULT_WEIGHTS["rating"]
    kpi: float = DEFAULT_WEIGHTS["kpi"]
    experience: float = DEFAULT_WEIGHTS["experience"]
    distance: float = DEFAULT_WEIGHTS["distance"]
    past_good: float = DEFAULT_WEIGHTS["past_good"]
    workload: float = DEFAULT_WEIGHTS["workload"]
    reward: float = DEFAULT_WEIGHTS["reward"]
    preferred: float = DEFAULT_WEIGHTS["preferred"]
    rating_prior_count: float = DEFAULT_SCALES["rating_prior_count"]
    experience_cap_jobs: float = DEFAULT_SCALES["experience_cap_jobs"]
    distance_cap_km: float = DEFAULT_SCALES["distance_cap_km"]
    workload_cap_hours: float = 44.0

    def __post_init__(self):
        for name in PARTS:
            if getattr(self, name) < 0:
                raise ValueError(f"Matching weight {name!r} must not be negative.")
        for name in ("experience_cap_jobs", "distance_cap_km", "workload_cap_hours"):
            if getattr(self, name) <= 0:
                raise ValueError(f"Matching scale {name!r} must be positive.")
        if self.rating_prior_count < 0:
            raise ValueError("Matching scale 'rating_prior_count' must not be negative.")

    @classmethod
    def from_settings(cls) -> Weights:
        weights = {**DEFAULT_WEIGHTS, **getattr(settings, "MATCHING_WEIGHTS", {})}
        scales = {**DEFAULT_SCALES, **getattr(settings, "MATCHING_SCALES", {})}
        unknown = (set(weights) - set(PARTS)) | (set(scales) - set(DEFAULT_SCALES))
        if unknown:
            raise ValueError(f"Unknown matching weights or scales: {sorted(unknown)}")
        if scales["workload_cap_hours"] is None:
            scales["workload_cap_hours"] = settings.MAX_WORK_HOURS_PER_WEEK
        return cls(
            **{name: float(value) for name, value in weights.items()},
            **{name: float(value) for name, value in scales.items()},
        )

    @property
    def maximum(self) -> float:
        return sum(getattr(self, name) for name in PARTS)

    def by_part(self) -> tuple[float, ...]:
        """The weights in PARTS order."""
        return tuple(getattr(self, name) for name in PARTS)


@dataclass(frozen=True)
class CandidateFeatures:
    """What the score looks at for one provider and one order."""

    provider_id: int
    rating: float | None = None  # the provider's average rating, None when unrated
    rating_count: int = 0
    kpi_percent: float | None = None  # None until the quality KPI exists
    service_jobs: int = 0  # completed jobs of this service
    distance_km: float | None = None  # None when either side has no coordinates
    past_good_with_customer: bool = False
    week_hours: float = 0.0  # hours booked or worked in the order's week
    rewarded: bool = False
    preferred: bool = False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Reason:
    """One human reason for a recommendation, with the part it comes from."""

    part: str
    text: str
    points: float


@dataclass(frozen=True)
class Score:
    features: CandidateFeatures
    parts: dict[str, float] = field(default_factory=dict)
    total: float = 0.0
    maxima: dict[str, float] = field(default_factory=dict)  # the weights it was scored with

    @property
    def provider_id(self) -> int:
        return self.features.provider_id

    def sort_key(self) -> tuple:
        """Best first: higher total, then fewer hours this week, then the lower id."""
        return (-self.total, self.features.week_hours, self.features.provider_id)

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe, for storing beside a recommendation; `from_dict` reads it back."""
        return {
            "features": self.features.as_dict(),
            "parts": dict(self.parts),
            "total": self.total,
            "maxima": dict(self.maxima),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Score:
        return cls(
            features=CandidateFeatures(**data["features"]),
            parts={name: float(value) for name, value in data["parts"].items()},
            total=float(data["total"]),
            maxima={name: float(value) for name, value in data.get("maxima", {}).items()},
        )

    def with_rating(self, average: float | None, count: int) -> Score:
        """The same score whose reasons quote the provider's rating as it is now (a rating may
        arrive between scoring and showing): one figure on the card, in its header and reasons."""
        return replace(self, features=replace(self.features, rating=average, rating_count=count))

    def fraction(self, part: str) -> float:
        """How much of its weight the part earned, 0..1 (0 when the weight is 0)."""
        maximum = self.maxima.get(part, 0.0)
        return self.parts.get(part, 0.0) / maximum if maximum else 0.0

    def reasons(self, *, service_name: str = "", limit: int | None = None) -> list[Reason]:
        """Why this provider, in the active language, strongest first.

        Rendered when shown (not when scored), so a stored score speaks the viewer's language.
        """
        f = self.features
        found: list[Reason] = []

        def add(part: str, text: str) -> None:
            found.append(Reason(part, text, self.parts.get(part, 0.0)))

        if f.preferred:
            add("preferred", _("your regular provider"))
        if f.rating is not None and f.rating_count:
            if f.rating >= TOP_RATED_AVERAGE and f.rating_count >= TOP_RATED_COUNT:
                add("rating", _("top-rated provider"))
            add(
                "rating",
                ngettext(
                    "%(rating)s rating (%(count)s review)",
                    "%(rating)s rating (%(count)s reviews)",
                    f.rating_count,
                )
                % {
                    "rating": rating_figure(f.rating),
                    "count": number_format(f.rating_count),
                },
            )
        if f.past_good_with_customer:
            add("past_good", _("you rated them well before"))
        if f.service_jobs:
            if service_name:
                text = ngettext(
                    "%(count)s %(service)s job done",
                    "%(count)s %(service)s jobs done",
                    f.service_jobs,
                ) % {"count": number_format(f.service_jobs), "service": service_name}
            else:
                text = ngettext(
                    "%(count)s job of this kind done",
                    "%(count)s jobs of this kind done",
                    f.service_jobs,
                ) % {"count": number_format(f.service_jobs)}
            add("experience", text)
        if f.distance_km is not None:
            add("distance", _("%(km)s km away") % {"km": number_format(f.distance_km, 1)})
        if f.kpi_percent is not None:
            add(
                "kpi",
                _("%(percent)s%% quality score") % {"percent": number_format(f.kpi_percent, 0)},
            )
        if f.rewarded:
            add("reward", _("recognised by our team for excellent work"))
        if self.fraction("workload") >= 0.75:
            add("workload", _("fewer jobs this week"))
        found.sort(key=lambda reason: -reason.points)
        return found[:limit] if limit is not None else found


def _clamp(value: float, low: float = 0.0, high: float = 1.0) -> float:
    return max(low, min(high, value))


def part_values(f: CandidateFeatures, w: Weights) -> tuple[float, ...]:
    """The parts of the score, in PARTS order, rounded: `score` without building objects (the
    batch scores thousands of pairs and needs only their totals)."""
    count = max(f.rating_count, 0) if f.rating is not None else 0
    shrunk = (
        ((f.rating or 0.0) * count + NEUTRAL_RATING * w.rating_prior_count)
        / (count + w.rating_prior_count)
        if count + w.rating_prior_count > 0
        else NEUTRAL_RATING
    )
    fractions = (
        _clamp((shrunk - 1.0) / 4.0),  # rating
        0.5 if f.kpi_percent is None else _clamp(f.kpi_percent / 100.0),  # kpi
        _clamp(max(f.service_jobs, 0) / w.experience_cap_jobs),  # experience
        (
            0.5
            if f.distance_km is None
            else 1.0 - _clamp(max(f.distance_km, 0.0) / w.distance_cap_km)
        ),  # distance
        1.0 if f.past_good_with_customer else 0.0,  # past_good
        1.0 - _clamp(max(f.week_hours, 0.0) / w.workload_cap_hours),  # workload
        1.0 if f.rewarded else 0.0,  # reward
        1.0 if f.preferred else 0.0,  # preferred
    )
    return tuple(
        round(weight * fraction, ROUNDING)
        for weight, fraction in zip(w.by_part(), fractions, strict=True)
    )


def total_of(parts: tuple[float, ...]) -> float:
    return round(sum(parts), ROUNDING)


def score(features: CandidateFeatures, weights: Weights | None = None) -> Score:
    """The candidate's score: each part in [0, its weight], and their sum."""
    w = weights or Weights.from_settings()
    values = part_values(features, w)
    return Score(
        features=features,
        parts=dict(zip(PARTS, values, strict=True)),
        total=total_of(values),
        maxima=dict(zip(PARTS, w.by_part(), strict=True)),
    )


def rank(scores) -> list[Score]:
    """Best first, ties to the less-loaded provider, then the lower id."""
    return sorted(scores, key=Score.sort_key)


# The same formula over columns (the batch assignment) ------------------------------------------


@dataclass(frozen=True)
class FeatureColumns:
    """The CandidateFeatures of many candidates as numpy columns of equal length, NaN where a
    feature is None."""

    provider_id: np.ndarray
    rating: np.ndarray
    rating_count: np.ndarray
    kpi_percent: np.ndarray
    service_jobs: np.ndarray
    distance_km: np.ndarray
    past_good_with_customer: np.ndarray
    week_hours: np.ndarray
    rewarded: np.ndarray
    preferred: np.ndarray

    def features(self, i: int) -> CandidateFeatures:
        """Candidate i's features, as plain Python values."""

        def known(value) -> float | None:
            value = float(value)
            return None if math.isnan(value) else value

        return CandidateFeatures(
            provider_id=int(self.provider_id[i]),
            rating=known(self.rating[i]),
            rating_count=int(self.rating_count[i]),
            kpi_percent=known(self.kpi_percent[i]),
            service_jobs=int(self.service_jobs[i]),
            distance_km=known(self.distance_km[i]),
            past_good_with_customer=bool(self.past_good_with_customer[i]),
            week_hours=float(self.week_hours[i]),
            rewarded=bool(self.rewarded[i]),
            preferred=bool(self.preferred[i]),
        )


def _near_half(values: np.ndarray, digits: int) -> np.ndarray:
    """Indexes of the values that, scaled by 10**digits, lie so close to a half that
    floating-point error could decide which way they round."""
    scaled = values * 10.0**digits
    with np.errstate(invalid="ignore"):
        distance = np.abs(scaled - np.floor(scaled) - 0.5)
        # Far wider than the error of the scaling (half an ulp) or of a sum of eight parts.
        return np.flatnonzero(distance <= 1e-9 + 1e-12 * np.abs(scaled))


def rounded(values, digits: int) -> np.ndarray:
    """Python's round(value, digits) of each value. numpy's round (scale, round half to even,
    scale back) gives the very same float except near a half, where the scaled value is not
    exact: those few are rounded by Python."""
    values = np.asarray(values, dtype=np.float64)
    result = np.round(values, digits)
    for i in _near_half(values, digits):
        result[i] = round(float(values[i]), digits)
    return result


def _clamp_columns(values: np.ndarray) -> np.ndarray:
    return np.maximum(0.0, np.minimum(1.0, values))


def shrunk_rating_columns(rating: np.ndarray, rating_count: np.ndarray, w: Weights) -> np.ndarray:
    """Each average rating shrunk towards the neutral prior, as `part_values` computes it (NaN
    rating: not rated, the prior alone)."""
    rated = ~np.isnan(rating)
    count = np.where(rated, np.maximum(rating_count, 0), 0)
    denominator = count + w.rating_prior_count
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(
            denominator > 0,
            (np.where(rated, rating, 0.0) * count + NEUTRAL_RATING * w.rating_prior_count)
            / denominator,
            NEUTRAL_RATING,
        )


def part_columns(f: FeatureColumns, w: Weights) -> np.ndarray:
    """`part_values` of every candidate at once: one row per candidate, one column per part in
    PARTS order, each the very float part_values gives (the same operations in the same order,
    and Python's rounding)."""
    shrunk = shrunk_rating_columns(f.rating, f.rating_count, w)
    with np.errstate(invalid="ignore", divide="ignore"):
        fractions = (
            _clamp_columns((shrunk - 1.0) / 4.0),  # rating
            np.where(np.isnan(f.kpi_percent), 0.5, _clamp_columns(f.kpi_percent / 100.0)),
            _clamp_columns(np.maximum(f.service_jobs, 0) / w.experience_cap_jobs),
            np.where(
                np.isnan(f.distance_km),
                0.5,
                1.0 - _clamp_columns(np.maximum(f.distance_km, 0.0) / w.distance_cap_km),
            ),
            np.where(f.past_good_with_customer, 1.0, 0.0),
            1.0 - _clamp_columns(np.maximum(f.week_hours, 0.0) / w.workload_cap_hours),
            np.where(f.rewarded, 1.0, 0.0),
            np.where(f.preferred, 1.0, 0.0),
        )
    return np.column_stack(
        [
            rounded(weight * fraction, ROUNDING)
            for weight, fraction in zip(w.by_part(), fractions, strict=True)
        ]
    )


def total_columns(parts: np.ndarray) -> np.ndarray:
    """`total_of` of each row of `part_columns`."""
    sums = np.zeros(len(parts))
    for column in parts.T:  # left to right, as sum() adds them
        sums += column
    totals = np.round(sums, ROUNDING)
    # Near a half, the way the parts are added could decide the rounding: total_of decides.
    for i in _near_half(sums, ROUNDING):
        totals[i] = total_of(tuple(parts[i].tolist()))
    return totals
