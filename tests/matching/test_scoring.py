"""The score: named, bounded parts from settings' weights, and reasons people can read."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from matching.scoring import PARTS, CandidateFeatures, Score, Weights, rank, score

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
