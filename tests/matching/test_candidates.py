"""Candidates in the database (R-MAT-1) and their ranking (R-MAT-2, R-MAT-4, R-MAT-5)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from matching.selectors import ranked_candidates
from orders.geo import haversine_km
from orders.models import Order, OrderStatus
from providers.models import ProviderStatus, ProviderTier
from providers.services import remove_provider, suspend_provider
from providers.services.rewards import RewardError, end_reward, reward_provider
from reviews.services import rate_order
from tests.factories import (
    AreaFactory,
    CustomerFactory,
    OrderFactory,
    ProviderFactory,
    ServiceTypeFactory,
    local_datetime,
)

from .matching_factories import RewardFactory, completed_jobs

pytestmark = pytest.mark.django_db

CENTRE = (35.70, 51.40)


@pytest.fixture
def weights(settings):
    settings.MATCHING_WEIGHTS = {
        "rating": 30,
        "kpi": 0,
        "experience": 15,
        "distance": 10,
        "past_good": 10,
        "workload": 10,
        "reward": 10,
        "preferred": 20,
    }
    return settings.MATCHING_WEIGHTS


def order_for(service, area, **kwargs):
    order = OrderFactory(service_type=service, area=area, starts_at=local_datetime(2, 10), **kwargs)
    return Order.objects.select_related("service_type", "area").get(pk=order.pk)


def ranked_ids(order, **kwargs):
    return [candidate.provider.pk for candidate in ranked_candidates(order, **kwargs)]


@pytest.mark.requirement("R-MAT-1", "R-MAT-2")
def test_the_ranking_follows_hand_computed_scores(service, area, weights):
    rated = ProviderFactory(rating_average=4.5, rating_count=10)
    experienced = ProviderFactory()
    completed_jobs(experienced, service, 25)
    rewarded = ProviderFactory(rating_average=4.0, rating_count=3)
    RewardFactory(provider=rewarded)
    order = order_for(service, area)

    ranked = ranked_candidates(order)

    # No coordinates anywhere: distance is neutral (5); nobody worked that week (workload 10).
    expected = {
        rewarded.pk: 30 * ((4.0 * 3 + 9) / 6 - 1) / 4 + 10 + 5 + 10,  # 38.75
        rated.pk: 30 * ((4.5 * 10 + 9) / 13 - 1) / 4 + 5 + 10,  # 38.653846
        experienced.pk: 15 + 15 * 25 / 50 + 5 + 10,  # 37.5
    }
    assert [c.provider.pk for c in ranked] == [rewarded.pk, rated.pk, experienced.pk]
    for candidate in ranked:
        assert candidate.score.total == pytest.approx(expected[candidate.provider.pk], abs=1e-5)
    assert ranked[2].score.parts["experience"] == pytest.approx(7.5)
    assert ranked[2].score.features.service_jobs == 25


@pytest.mark.requirement("R-MAT-5")
def test_with_equal_scores_the_less_loaded_provider_ranks_first(service, area, settings):
    settings.MATCHING_WEIGHTS = {"workload": 0}  # equal totals: only the tie-break remains
    order = order_for(service, area)
    busy, idle, light = ProviderFactory(), ProviderFactory(), ProviderFactory()
    for provider, hours in ((busy, 6), (light, 2)):
        OrderFactory(
            provider=provider,
            status=OrderStatus.CONFIRMED,
            starts_at=order.starts_at - timedelta(days=0, hours=0) + timedelta(hours=4),
            ends_at=order.starts_at + timedelta(hours=4 + hours),
        )
    ranked = ranked_candidates(order)
    assert len({c.score.total for c in ranked}) == 1
    assert [c.provider for c in ranked] == [idle, light, busy]


@pytest.mark.requirement("R-MAT-4")
def test_rewarded_providers_come_first_and_an_ended_reward_counts_no_more(
    service, area, operator, weights
):
    plain = ProviderFactory()
    star = ProviderFactory()
    order = order_for(service, area)
    assert ranked_ids(order) == [plain.pk, star.pk]  # equal: the lower id first

    reward_provider(provider=star, actor=operator, reason="Best feedback this month", days=30)
    assert ranked_ids(order) == [star.pk, plain.pk]
    with pytest.raises(RewardError):
        reward_provider(provider=star, actor=operator, reason="again", days=30)

    assert end_reward(provider=star, actor=operator, reason="Month over") == 1
    assert ranked_ids(order) == [plain.pk, star.pk]
    assert star.rewards.get().created_by == operator  # the audit stays


@pytest.mark.requirement("R-MAT-4", "R-MAT-1")
def test_suspended_or_removed_providers_never_appear_even_when_rewarded(service, area, operator):
    suspended, removed, fine = ProviderFactory(), ProviderFactory(), ProviderFactory()
    for provider in (suspended, removed):
        RewardFactory(provider=provider)
    suspend_provider(provider=suspended, actor=operator, reason="complaints")
    remove_provider(provider=removed, actor=operator, reason="poaching")
    order = order_for(service, area)
    assert ranked_ids(order) == [fine.pk]
    removed.refresh_from_db()
    assert removed.status == ProviderStatus.REMOVED


@pytest.mark.requirement("R-MAT-1")
def test_a_minimum_tier_keeps_out_less_qualified_providers(area):
    service = ServiceTypeFactory(
        code="elderly-care", name="Elderly care", minimum_tier=ProviderTier.EXPERIENCED
    )
    skills = list(service.required_skills.all())
    ProviderFactory(skills=skills, tier=ProviderTier.STANDARD)
    experienced = ProviderFactory(skills=skills, tier=ProviderTier.EXPERIENCED)
    expert = ProviderFactory(skills=skills, tier=ProviderTier.EXPERT)
    order = order_for(service, area)
    assert sorted(ranked_ids(order)) == [experienced.pk, expert.pk]


@pytest.mark.requirement("R-MAT-1")
def test_probation_counts_only_when_the_setting_allows(service, area, settings):
    on_probation = ProviderFactory(status=ProviderStatus.PROBATION)
    order = order_for(service, area)
    assert ranked_ids(order) == [on_probation.pk]
    settings.MATCHING_INCLUDE_PROBATION = False
    assert ranked_ids(order) == []


@pytest.mark.requirement("R-MAT-1")
def test_a_provider_outside_the_area_qualifies_within_their_travel_radius(service, weights):
    area = AreaFactory(code="centre", name="Centre", latitude=CENTRE[0], longitude=CENTRE[1])
    elsewhere = AreaFactory(code="west", name="West")
    home = (35.72, 51.42)  # about 2.9 km from the area's centre
    near = ProviderFactory(areas=[elsewhere], latitude=home[0], longitude=home[1])
    near.travel_radius_km = 5
    near.save()
    ProviderFactory(areas=[elsewhere], latitude=home[0], longitude=home[1], travel_radius_km=2)
    ProviderFactory(areas=[elsewhere], travel_radius_km=50)  # no home coordinates
    member = ProviderFactory(areas=[area])
    order = order_for(service, area)

    ranked = {c.provider.pk: c.score for c in ranked_candidates(order)}
    assert set(ranked) == {near.pk, member.pk}
    km = haversine_km(CENTRE, home)
    assert 2.5 < km < 3.2
    assert ranked[near.pk].features.distance_km == pytest.approx(km, abs=0.01)
    assert ranked[near.pk].parts["distance"] == pytest.approx(10 * (1 - km / 20), abs=0.01)
    assert ranked[member.pk].features.distance_km is None  # neutral: no home coordinates

    # The order's own coordinates win over the area's centre: 30 km away nobody is near.
    far = order_for(service, area, latitude=35.97, longitude=51.40)
    assert ranked_ids(far) == [member.pk]


@pytest.mark.requirement("R-MAT-1")
def test_the_travel_radius_is_capped_by_the_setting(service, settings):
    area = AreaFactory(code="centre", name="Centre", latitude=CENTRE[0], longitude=CENTRE[1])
    far_home = (35.70 + 20 / 111.2, 51.40)  # 20 km north
    keen = ProviderFactory(
        areas=[AreaFactory(code="x", name="X")],
        latitude=far_home[0],
        longitude=far_home[1],
        travel_radius_km=100,
    )
    order = order_for(service, area)
    assert ranked_ids(order) == [keen.pk]
    settings.MATCHING_MAX_TRAVEL_KM = 10
    assert ranked_ids(order) == []


@pytest.mark.requirement("R-MAT-2")
def test_a_good_past_experience_and_the_preferred_provider_score_their_parts(
    service, area, weights
):
    customer = CustomerFactory()
    liked, disliked, usual, other = (ProviderFactory() for _ in range(4))
    for provider, scores in ((liked, (5, 4, 4)), (disliked, (3, 3, 4))):
        past = OrderFactory(
            customer=customer,
            provider=provider,
            status=OrderStatus.COMPLETED,
            starts_at=timezone.now() - timedelta(days=40, hours=3),
            ends_at=timezone.now() - timedelta(days=40, hours=1),
            completed_at=timezone.now(),
        )
        rate_order(
            order=past,
            customer=customer,
            attitude=scores[0],
            result=scores[1],
            compliance=scores[2],
            comment="Thanks",
        )
    order = order_for(service, area, customer=customer, preferred_provider=usual)
    scores = {c.provider.pk: c.score for c in ranked_candidates(order)}
    assert scores[liked.pk].parts["past_good"] == 10
    assert scores[disliked.pk].parts["past_good"] == 0
    assert scores[usual.pk].parts["preferred"] == 20
    assert scores[other.pk].parts["preferred"] == 0
    assert ranked_ids(order)[0] == usual.pk


def test_a_saved_rating_updates_what_matching_reads(customer, provider):
    first = OrderFactory(
        customer=customer,
        provider=provider,
        status=OrderStatus.COMPLETED,
        completed_at=timezone.now(),
        starts_at=timezone.now() - timedelta(days=3),
        ends_at=timezone.now() - timedelta(days=3) + timedelta(hours=2),
    )
    second = OrderFactory(
        customer=customer,
        provider=provider,
        status=OrderStatus.COMPLETED,
        completed_at=timezone.now(),
        starts_at=timezone.now() - timedelta(days=2),
        ends_at=timezone.now() - timedelta(days=2) + timedelta(hours=2),
    )
    rate_order(order=first, customer=customer, attitude=5, result=5, compliance=5, comment="Tidy")
    rate_order(order=second, customer=customer, attitude=4, result=4, compliance=4, comment="")
    provider.refresh_from_db()
    first.refresh_from_db()
    assert (provider.rating_average, provider.rating_count) == (4.5, 2)
    assert [review["text"] for review in provider.recent_reviews] == ["Tidy"]
    assert first.customer_rating == 5.0


@pytest.mark.requirement("R-MAT-1")
def test_excluded_ids_and_a_limit(service, area):
    a, b, c = ProviderFactory(), ProviderFactory(), ProviderFactory()
    order = order_for(service, area)
    assert ranked_ids(order, exclude_ids=[a.pk]) == [b.pk, c.pk]
    assert ranked_ids(order, limit=2) == [a.pk, b.pk]


@pytest.mark.requirement("R-MAT-1")
def test_ranking_takes_two_queries_however_many_candidates(service, area):
    def queries_for(count):
        ProviderFactory.create_batch(count)
        order = order_for(service, area)
        with CaptureQueriesContext(connection) as captured:
            ranked = ranked_candidates(order)
        return len(ranked), len(captured)

    few, few_queries = queries_for(3)
    many, many_queries = queries_for(27)
    assert (few, many) == (3, 30)
    # Read afresh inside the test's transaction (it changed providers): the area's roster (six
    # queries), the required skills, past offers, good past ratings, the candidates' jobs, then
    # the chosen providers. Kept rosters save the first six (test_roster.py).
    assert few_queries == many_queries == 11


@pytest.mark.requirement("R-MAT-4")
def test_staff_reward_a_provider_from_the_admin_with_a_reason(client, operator, provider):
    client.force_login(operator)
    changelist = reverse("admin:providers_provider_changelist")
    refused = client.post(
        changelist,
        {"action": "reward", "_selected_action": [provider.pk], "apply": "1", "reason": ""},
    )
    assert refused.status_code == 200  # the form again, asking for the reason
    assert not provider.rewards.exists()
    client.post(
        changelist,
        {
            "action": "reward",
            "_selected_action": [provider.pk],
            "apply": "1",
            "reason": "Ten five-star jobs in a row",
            "days": "14",
        },
    )
    reward = provider.rewards.get()
    assert (reward.reason, reward.created_by) == ("Ten five-star jobs in a row", operator)
    assert reward.ends - reward.starts == timedelta(days=14)
    listed = client.get(reverse("admin:providers_providerreward_changelist"))
    assert "Ten five-star jobs in a row" in listed.content.decode()
