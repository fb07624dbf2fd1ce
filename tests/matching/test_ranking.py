"""The fast ranking (matching/ranking.py) equals the reference query on random data (R-MAT-1,
R-MAT-2, R-MAT-5): the same candidates, in the same order, with the same scores."""

import random
from datetime import time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from matching.models import Offer, OfferStatus
from matching.selectors import ranked_candidates, ranked_candidates_in_sql
from orders.models import Order, OrderStatus
from providers.models import ProviderStatus, ProviderTier, ServiceArea
from providers.services import suspend_provider
from tests.factories import (
    CustomerFactory,
    OrderFactory,
    ProviderFactory,
    ServiceTypeFactory,
    SkillFactory,
)
from tests.orders.test_scheduling import MONDAY, WEDNESDAY, _random_schedule, at

from .matching_factories import RewardFactory

pytestmark = pytest.mark.django_db

CENTRE = (35.70, 51.40)


@pytest.fixture(autouse=True)
def _monday_morning(time_machine, settings):
    """Monday 06:00 local, lower limits and a longer rest so that the edges are met."""
    settings.TRAVEL_BUFFER_MINUTES = 30
    settings.MIN_REST_MINUTES = 45
    settings.MAX_WORK_HOURS_PER_DAY = 6
    settings.MAX_WORK_HOURS_PER_WEEK = 40
    settings.MATCHING_MAX_TRAVEL_KM = 15
    time_machine.move_to(at(MONDAY, 6), tick=False)


def _near(rng, km):
    """A point about `km` from the centre (a degree of latitude is ~111 km)."""
    return CENTRE[0] + rng.uniform(-km, km) / 111.2, CENTRE[1] + rng.uniform(-km, km) / 90.0


def _random_providers(rng, *, areas, skills, customer, services):
    for _ in range(45):
        latitude, longitude = _near(rng, 25) if rng.random() < 0.8 else (None, None)
        provider = ProviderFactory(
            areas=[rng.choice(areas)],
            skills=rng.sample(skills, rng.randint(1, len(skills))),
            tier=rng.choice(ProviderTier.values),
            rating_average=round(rng.uniform(3, 5), 2) if rng.random() < 0.8 else None,
            rating_count=rng.randrange(0, 40),
            latitude=latitude,
            longitude=longitude,
            travel_radius_km=rng.choice([0, 0, 5, 10, 30]),
        )
        if provider.rating_average is None:
            provider.rating_count = 0
            provider.save(update_fields=["rating_count"])
        _random_schedule(rng, provider)
        roll = rng.random()
        if roll < 0.08:
            suspend_provider(provider=provider, actor=None, reason="test")
        elif roll < 0.16:
            provider.status = ProviderStatus.PROBATION
            provider.save(update_fields=["status"])
        if rng.random() < 0.15:
            RewardFactory(provider=provider)
        for _job in range(rng.randrange(0, 4)):  # past completed jobs, some rated by customer
            starts_at = at(MONDAY - timedelta(days=rng.randrange(8, 60)), 10)
            rated = rng.random() < 0.5
            OrderFactory(
                provider=provider,
                customer=customer if rated else CustomerFactory(),
                service_type=rng.choice(services),
                status=OrderStatus.COMPLETED,
                starts_at=starts_at,
                ends_at=starts_at + timedelta(hours=2),
                customer_rating=rng.choice([2.0, 3.5, 4.0, 5.0]) if rated else None,
            )


def _same(order, **kwargs):
    fast = ranked_candidates(order, **kwargs)
    reference = ranked_candidates_in_sql(order, **kwargs)
    assert [(c.provider.pk, c.score.as_dict()) for c in fast] == [
        (c.provider.pk, c.score.as_dict()) for c in reference
    ], (order.starts_at, order.ends_at, kwargs)
    return fast


@pytest.mark.requirement("R-MAT-1", "R-MAT-2", "R-MAT-5")
@pytest.mark.parametrize("seed", [20261123, 7, 1234])
def test_fast_ranking_equals_the_reference_query_on_random_data(seed, settings):
    rng = random.Random(seed)
    settings.MATCHING_INCLUDE_PROBATION = rng.random() < 0.5
    north = ServiceArea.objects.create(
        code="north", name="North", latitude=CENTRE[0], longitude=CENTRE[1]
    )
    south = ServiceArea.objects.create(
        code="south", name="South", latitude=CENTRE[0] - 0.15, longitude=CENTRE[1]
    )
    bare = ServiceArea.objects.create(code="bare", name="No centre")
    skills = [SkillFactory(), SkillFactory(code="care", name="Care"), SkillFactory(code="cook")]
    cleaning = ServiceTypeFactory(required_skills=[skills[0]])
    care = ServiceTypeFactory(
        code="care",
        name="Elderly care",
        required_skills=skills[:2],
        minimum_tier=ProviderTier.values[1],
    )
    customer = CustomerFactory()
    _random_providers(
        rng,
        areas=[north, south, bare],
        skills=skills,
        customer=customer,
        services=[cleaning, care],
    )
    compared = found = empty = 0
    for _ in range(30):
        day = MONDAY + timedelta(days=rng.randrange(0, 7))
        starts_at = at(day, rng.randrange(6, 19), rng.choice([0, 30]))
        point = _near(rng, 10) if rng.random() < 0.5 else (None, None)
        order = OrderFactory(
            customer=customer,
            service_type=rng.choice([cleaning, care]),
            area=rng.choice([north, north, south, bare]),
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=30 * rng.randrange(2, 12)),
            latitude=point[0],
            longitude=point[1],
        )
        order = Order.objects.select_related("service_type", "area").get(pk=order.pk)
        everyone = _same(order)
        if everyone and rng.random() < 0.5:
            picked = rng.choice(everyone).provider
            order.preferred_provider = picked
            order.avoid_provider = rng.choice(everyone).provider
            Offer.objects.create(
                order=order,
                provider=rng.choice(everyone).provider,
                status=OfferStatus.DECLINED,
                expires_at=starts_at,
            )
            everyone = _same(order)
        for limit in (0, 1, 3):
            _same(order, limit=limit)
        if everyone:
            _same(order, limit=2, exclude_ids=[everyone[0].provider.pk])
        compared += 1
        found += len(everyone)
        empty += not everyone
    # The data give candidates to many orders, several to some, and to some nobody.
    assert compared == 30 and found > 15 and 8 <= compared - empty < compared


@pytest.mark.requirement("R-MAT-1")
def test_ranking_takes_a_fixed_number_of_queries_however_many_candidates(service, area):
    def queries_for(count):
        ProviderFactory.create_batch(count, hours=[(d, time(6), time(22)) for d in range(7)])
        order = OrderFactory(service_type=service, area=area, starts_at=at(WEDNESDAY, 10))
        order = Order.objects.select_related("service_type", "area").get(pk=order.pk)
        with CaptureQueriesContext(connection) as captured:
            ranked = ranked_candidates(order, limit=3)
        return len(ranked), len(captured)

    few, few_queries = queries_for(2)
    many, many_queries = queries_for(30)
    assert (few, many) == (2, 3)
    # Read afresh inside the test's transaction (it changed providers): the area's roster (six
    # queries), the required skills, past offers, good past ratings, the candidates' jobs, then
    # the chosen providers. Kept rosters save the first six (test_roster.py).
    assert few_queries == many_queries == 11
