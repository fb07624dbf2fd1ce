"""The score: named, bounded parts from settings' weights, and reasons people can read."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.scoring import (
    PARTS,
    CandidateFeatures,
    FeatureColumns,
    Score,
    Weights,
    part_columns,
    part_values,
    rank,
    rounded,
    score,
    total_columns,
    total_of,
)

WEIGHTS = Weights(
    rating=30,
    kpi=15,
    experience=15,
    distance=10,
    past_good=10,
    workload=10,
    reward=10,
    preferred=20,
    rating_prior_count=3,
    experience_cap_jobs=50,
    distance_cap_km=20,
    workload_cap_hours=44,
)


@pytest.mark.requirement("R-MAT-2")
def test_every_part_is_computed_as_documented():
    features = CandidateFeatures(
        provider_id=7,
        rating=4.9,
        rating_count=31,
        kpi_percent=None,
        service_jobs=120,
        distance_km=2.1,
        past_good_with_customer=True,
        week_hours=11,
        rewarded=True,
        preferred=False,
    )
    result = score(features, WEIGHTS)
    shrunk = (4.9 * 31 + 3 * 3) / (31 + 3)
    expected = {
        "rating": 30 * (shrunk - 1) / 4,
        "kpi": 7.5,  # unknown KPI: neutral, half the weight
        "experience": 15.0,  # 120 jobs, capped at 50
        "distance": 10 * (1 - 2.1 / 20),
        "past_good": 10.0,
        "workload": 10 * (1 - 11 / 44),
        "reward": 10.0,
        "preferred": 0.0,
    }
    assert result.parts == pytest.approx(expected, abs=1e-6)
    assert result.total == pytest.approx(sum(expected.values()), abs=1e-5)
    assert list(result.parts) == list(PARTS)


@pytest.mark.requirement("R-MAT-2")
def test_an_unrated_provider_gets_the_neutral_prior_and_one_rating_does_not_beat_many():
    unrated = score(CandidateFeatures(provider_id=1), WEIGHTS)
    assert unrated.parts["rating"] == pytest.approx(15.0)  # 3 stars: half the weight
    one_five = score(CandidateFeatures(provider_id=2, rating=5.0, rating_count=1), WEIGHTS)
    many = score(CandidateFeatures(provider_id=3, rating=4.9, rating_count=30), WEIGHTS)
    assert many.parts["rating"] > one_five.parts["rating"] > unrated.parts["rating"]


@pytest.mark.requirement("R-MAT-5")
def test_fewer_hours_this_week_score_higher_and_the_workload_part_stops_at_the_cap():
    parts = [
        score(CandidateFeatures(provider_id=1, week_hours=hours), WEIGHTS).parts["workload"]
        for hours in (0, 10, 22, 44, 60)
    ]
    assert parts == pytest.approx([10.0, 10 * 34 / 44, 5.0, 0.0, 0.0])


@pytest.mark.requirement("R-MAT-5")
def test_equal_totals_go_to_the_less_loaded_then_to_the_lower_id():
    flat = Weights(workload=0)  # the load does not change the total here: only the tie-break
    a = score(CandidateFeatures(provider_id=5, week_hours=20), flat)
    b = score(CandidateFeatures(provider_id=9, week_hours=4), flat)
    c = score(CandidateFeatures(provider_id=3, week_hours=20), flat)
    assert a.total == b.total == c.total
    assert [s.provider_id for s in rank([a, b, c])] == [9, 3, 5]


@pytest.mark.requirement("R-MAT-4")
def test_the_reward_part_puts_a_rewarded_provider_first_among_equals():
    plain = score(CandidateFeatures(provider_id=1), WEIGHTS)
    rewarded = score(CandidateFeatures(provider_id=2, rewarded=True), WEIGHTS)
    assert rewarded.total - plain.total == pytest.approx(10.0)
    assert rank([plain, rewarded])[0] is rewarded


finite = st.floats(min_value=-100, max_value=10_000, allow_nan=False)


@given(
    rating=st.none() | st.floats(min_value=1, max_value=5),
    count=st.integers(min_value=0, max_value=10_000),
    kpi=st.none() | st.floats(min_value=-50, max_value=150),
    jobs=st.integers(min_value=0, max_value=100_000),
    km=st.none() | finite,
    hours=finite,
    flags=st.tuples(st.booleans(), st.booleans(), st.booleans()),
)
def test_each_part_stays_between_zero_and_its_weight(rating, count, kpi, jobs, km, hours, flags):
    features = CandidateFeatures(
        provider_id=1,
        rating=rating,
        rating_count=count,
        kpi_percent=kpi,
        service_jobs=jobs,
        distance_km=km,
        week_hours=hours,
        past_good_with_customer=flags[0],
        rewarded=flags[1],
        preferred=flags[2],
    )
    result = score(features, WEIGHTS)
    for name in PARTS:
        assert 0 <= result.parts[name] <= getattr(WEIGHTS, name) + 1e-9
    assert math.isclose(result.total, sum(result.parts.values()), abs_tol=1e-5)
    assert result.total <= WEIGHTS.maximum + 1e-6


def test_weights_come_from_settings_and_unknown_names_are_refused(settings):
    settings.MATCHING_WEIGHTS = {"rating": 50, "reward": 0}
    weights = Weights.from_settings()
    assert (weights.rating, weights.reward, weights.kpi) == (50.0, 0.0, 15.0)
    assert weights.workload_cap_hours == settings.MAX_WORK_HOURS_PER_WEEK
    settings.MATCHING_WEIGHTS = {"ratting": 1}
    with pytest.raises(ValueError, match="ratting"):
        Weights.from_settings()
    with pytest.raises(ValueError, match="negative"):
        Weights(rating=-1)


@pytest.mark.requirement("R-MAT-2")
def test_reasons_read_like_a_person_wrote_them_strongest_first():
    features = CandidateFeatures(
        provider_id=1,
        rating=4.9,
        rating_count=31,
        service_jobs=120,
        distance_km=2.1,
        past_good_with_customer=True,
        week_hours=2,
    )
    texts = [r.text for r in score(features, WEIGHTS).reasons(service_name="cleaning")]
    assert texts[:2] == ["top-rated provider", "4.9 rating (31 reviews)"]
    assert set(texts[2:]) == {
        "120 cleaning jobs done",
        "2.1 km away",
        "you rated them well before",
        "fewer jobs this week",
    }
    single = CandidateFeatures(provider_id=2, rating=4.0, rating_count=1, service_jobs=1)
    texts = [r.text for r in score(single, WEIGHTS).reasons()]
    assert "4.0 rating (1 review)" in texts
    assert "1 job of this kind done" in texts
    assert "top-rated provider" not in texts
    assert len(score(features, WEIGHTS).reasons(limit=3)) == 3


def test_a_stored_score_reads_back_equal():
    result = score(CandidateFeatures(provider_id=4, rating=4.2, rating_count=8), WEIGHTS)
    assert Score.from_dict(result.as_dict()) == result


# The same formula over columns (the batch assignment) -------------------------------------------

weights = st.builds(
    Weights,
    **{name: st.floats(min_value=0, max_value=100) for name in PARTS},
    rating_prior_count=st.floats(min_value=0, max_value=10),
    experience_cap_jobs=st.floats(min_value=0.01, max_value=200),
    distance_cap_km=st.floats(min_value=0.01, max_value=100),
    workload_cap_hours=st.floats(min_value=0.01, max_value=80),
)
features = st.builds(
    CandidateFeatures,
    provider_id=st.integers(min_value=1, max_value=10**9),
    rating=st.none() | st.floats(min_value=-1, max_value=6),
    rating_count=st.integers(min_value=-5, max_value=10_000),
    kpi_percent=st.none() | st.floats(min_value=-50, max_value=150),
    service_jobs=st.integers(min_value=-5, max_value=100_000),
    # Distances to 10 m and hours to the 1/10,000, as the features are, hit rounding halves.
    distance_km=st.none() | finite | st.integers(0, 5_000).map(lambda n: n / 100),
    past_good_with_customer=st.booleans(),
    week_hours=finite | st.integers(0, 600_000).map(lambda n: n / 10_000),
    rewarded=st.booleans(),
    preferred=st.booleans(),
)


def _columns(candidates: list[CandidateFeatures]) -> FeatureColumns:
    def known(values):
        return np.array([math.nan if value is None else value for value in values], dtype=float)

    return FeatureColumns(
        provider_id=np.array([f.provider_id for f in candidates], dtype=np.int64),
        rating=known([f.rating for f in candidates]),
        rating_count=np.array([f.rating_count for f in candidates], dtype=np.int64),
        kpi_percent=known([f.kpi_percent for f in candidates]),
        service_jobs=np.array([f.service_jobs for f in candidates], dtype=np.int64),
        distance_km=known([f.distance_km for f in candidates]),
        past_good_with_customer=np.array([f.past_good_with_customer for f in candidates]),
        week_hours=np.array([f.week_hours for f in candidates], dtype=float),
        rewarded=np.array([f.rewarded for f in candidates]),
        preferred=np.array([f.preferred for f in candidates]),
    )


@settings(max_examples=300, deadline=None)
@given(st.lists(features, min_size=1, max_size=40), st.one_of(st.just(WEIGHTS), weights))
def test_scoring_columns_equal_score_value_for_value(candidates, w):
    """The batch's vectorised score is `score` itself: every part and total the very same
    float, on random features and weights."""
    columns = _columns(candidates)
    parts = part_columns(columns, w)
    totals = total_columns(parts)
    for i, f in enumerate(candidates):
        expected = score(f, w)
        assert tuple(parts[i].tolist()) == part_values(f, w) == tuple(expected.parts.values())
        assert totals[i] == expected.total
        assert columns.features(i) == f


@given(
    st.integers(min_value=0, max_value=10**9),
    st.sampled_from([2, 4, 6]),
    st.floats(min_value=-1e6, max_value=1e6),
)
def test_rounding_columns_equals_python_round_also_on_halves(n, digits, x):
    """numpy's own rounding differs from round() on about 40 % of decimal halves (2.5e-06 to
    6 digits); `rounded` never does."""
    halves = np.array([(n * 10 + 5) / 10 ** (digits + 1), -(n * 10 + 5) / 10 ** (digits + 1)])
    values = np.concatenate([halves, [x, 2.5e-06, 1999.995, 19.99975]])
    assert rounded(values, digits).tolist() == [round(v, digits) for v in values.tolist()]


def test_totals_near_a_half_are_decided_by_total_of():
    # 0.1 + 0.2 + ... adds up to a hair off the exact half 0.6000005: total_of decides.
    parts = np.array([[0.1, 0.2, 0.3, 0.0000005, 0.0, 0.0, 0.0, 0.0], [1.0] + [0.0] * 7])
    assert total_columns(parts).tolist() == [total_of(tuple(row)) for row in parts.tolist()]
