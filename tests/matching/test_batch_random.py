"""The batch's problem equals the reference rules on random data (R-MAT-1, R-MAT-2, R-MAT-5):
for every order, the candidates and their scores of `ranked_candidates_in_sql` (the rules of
`orders.scheduling.eligible_providers` in SQL, then `scoring.score`), and the hours each
provider already works per day and week of `orders.scheduling.day_schedules`."""

import random
from datetime import timedelta

import pytest
from django.utils import timezone

from matching.batch.problem import build_problem
from matching.models import Offer, OfferStatus, RecommendationStatus
from matching.selectors import ranked_candidates_in_sql
from orders.models import Order
from orders.scheduling import day_schedules
from providers.models import ProviderTier, ServiceArea
from tests.factories import (
    CustomerFactory,
    OrderFactory,
    ProviderFactory,
    ServiceTypeFactory,
    SkillFactory,
)
from tests.orders.test_scheduling import MONDAY, _random_schedule, at

from .matching_factories import RecommendationFactory
from .test_ranking import CENTRE, _near, _random_providers

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _monday_morning(time_machine, settings):
    """Monday 06:00 local, lower limits and a longer rest so that the edges are met."""
    settings.TRAVEL_BUFFER_MINUTES = 30
    settings.MIN_REST_MINUTES = 45
    settings.MAX_WORK_HOURS_PER_DAY = 6
    settings.MAX_WORK_HOURS_PER_WEEK = 40
    settings.MATCHING_MAX_TRAVEL_KM = 15
    time_machine.move_to(at(MONDAY, 6), tick=False)


def _random_orders(rng, *, customers, services, areas, count):
    """Orders over this week and the next Monday (two weeks), some with their own point. Each
    shorter than the daily limit."""
    orders = []
    for _ in range(count):
        day = MONDAY + timedelta(days=rng.randrange(0, 8))
        starts_at = at(day, rng.randrange(6, 19), rng.choice([0, 30]))
        point = _near(rng, 10) if rng.random() < 0.5 else (None, None)
        orders.append(
            OrderFactory(
                customer=rng.choice(customers),
                service_type=rng.choice(services),
                area=rng.choice(areas),
                starts_at=starts_at,
                ends_at=starts_at + timedelta(minutes=30 * rng.randrange(2, 12)),
                latitude=point[0],
                longitude=point[1],
            )
        )
    return orders


def _leave_some_out(rng, orders):
    """Offers declined, providers passed over, redos avoiding someone, preferred providers."""
    for order in rng.sample(orders, len(orders) // 2):
        everyone = [candidate.provider for candidate in ranked_candidates_in_sql(order)]
        if len(everyone) < 2:
            continue
        Offer.objects.create(
            order=order,
            provider=rng.choice(everyone),
            status=OfferStatus.DECLINED,
            expires_at=order.starts_at,
        )
        RecommendationFactory(
            order=order, provider=rng.choice(everyone), status=RecommendationStatus.PASSED
        )
        order.avoid_provider = rng.choice(everyone) if rng.random() < 0.5 else None
        order.preferred_provider = rng.choice(everyone)
        order.save(update_fields=["avoid_provider", "preferred_provider"])


@pytest.mark.requirement("R-MAT-1", "R-MAT-2", "R-MAT-5")
@pytest.mark.parametrize("seed", [20261123, 7, 1234])
def test_batch_problem_equals_the_reference_rules_and_scores_on_random_data(seed, settings):
    rng = random.Random(seed)
    settings.MATCHING_INCLUDE_PROBATION = rng.random() < 0.5
    north = ServiceArea.objects.create(
        code="north", name="North", latitude=CENTRE[0], longitude=CENTRE[1]
    )
    south = ServiceArea.objects.create(
        code="south", name="South", latitude=CENTRE[0] - 0.15, longitude=CENTRE[1]
    )
    bare = ServiceArea.objects.create(code="bare", name="No centre")
    # No order here: its providers come into the batch only by their travel radius.
    east = ServiceArea.objects.create(
        code="east", name="East", latitude=CENTRE[0], longitude=CENTRE[1] + 0.15
    )
    skills = [SkillFactory(), SkillFactory(code="care", name="Care"), SkillFactory(code="cook")]
    cleaning = ServiceTypeFactory(required_skills=[skills[0]])
    care = ServiceTypeFactory(
        code="care",
        name="Elderly care",
        required_skills=skills[:2],
        minimum_tier=ProviderTier.values[1],
    )
    customers = [CustomerFactory() for _ in range(3)]
    _random_providers(
        rng,
        areas=[north, south, bare, east],
        skills=skills,
        customer=customers[0],
        services=[cleaning, care],
    )
    for _ in range(8):  # travellers from the east living near the centre
        latitude, longitude = _near(rng, 8)
        _random_schedule(
            rng,
            ProviderFactory(
                areas=[east],
                skills=skills,
                tier=rng.choice(ProviderTier.values),
                latitude=latitude,
                longitude=longitude,
                travel_radius_km=rng.choice([5, 10, 30]),
            ),
        )
    created = _random_orders(
        rng,
        customers=customers,
        services=[cleaning, care],
        areas=[north, north, south, bare],
        count=40,
    )
    _leave_some_out(rng, created)
    orders = list(
        Order.objects.filter(pk__in=[order.pk for order in created])
        .select_related("service_type", "area")
        .order_by("pk")
    )

    built = build_problem(orders)

    problem = built.problem
    pairs = hours_compared = 0
    for order in orders:
        passed_over = order.recommendations.filter(status=RecommendationStatus.PASSED)
        reference = ranked_candidates_in_sql(
            order, exclude_ids=passed_over.values_list("provider_id", flat=True)
        )
        assert problem.scores[order.pk] == {c.provider.pk: c.score.total for c in reference}
        for candidate in reference:
            assert built.scores[(order.pk, candidate.provider.pk)] == candidate.score
        day = timezone.localtime(order.starts_at).date()
        job = next(job for job in problem.jobs if job.id == order.pk)
        assert job.day == day
        schedules = day_schedules(service_type=order.service_type, area=order.area, day=day)
        for provider_id in problem.scores[order.pk].keys() & schedules.keys():
            schedule = schedules[provider_id]
            assert problem.day_used[(provider_id, job.day)] == schedule.day_hours.total_seconds()
            assert problem.week_used[(provider_id, job.week)] == (
                schedule.week_hours.total_seconds()
            )
            hours_compared += 1
        pairs += len(reference)
    # The data give candidates to many orders, several to some, and to some nobody.
    placed = sum(bool(candidates) for candidates in problem.scores.values())
    assert pairs > 20 and hours_compared > 20 and 10 <= placed < len(orders)
