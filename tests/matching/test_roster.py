"""Rosters (matching/roster.py): providers' standing data kept in memory between changes, and
every change that matters reloading them (R-MAT-1)."""

from unittest import mock

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from core import kept
from matching.selectors import ranked_candidates
from orders.models import Order, OrderStatus
from providers.models import ProviderStatus, TimeOff, WorkingHours
from providers.services import suspend_provider
from tests.factories import OrderFactory, ProviderFactory, SkillFactory, local_datetime

from .matching_factories import RewardFactory

# Outside a test transaction: saves commit, so versions are bumped as in production.
pytestmark = pytest.mark.django_db(transaction=True)


def order_for(service, area):
    order = OrderFactory(service_type=service, area=area, starts_at=local_datetime(2, 10))
    return Order.objects.select_related("service_type", "area").get(pk=order.pk)


def ranking(order):
    with CaptureQueriesContext(connection) as captured:
        ranked = [candidate.provider.pk for candidate in ranked_candidates(order, limit=3)]
    return ranked, len(captured)


@pytest.mark.requirement("R-MAT-1")
def test_a_kept_roster_saves_its_queries_until_a_provider_changes(service, area, operator):
    first, second, third = ProviderFactory.create_batch(3)
    order = order_for(service, area)
    ranked, cold = ranking(order)
    assert sorted(ranked) == sorted([first.pk, second.pk, third.pk])
    again, warm = ranking(order)
    assert again == ranked
    # The roster's six queries are saved; skills, offers, good ratings, jobs, winners remain.
    assert cold - warm == 6 and warm == 5

    suspend_provider(provider=second, actor=operator, reason="Complaints", retrain=False)
    after, reloaded = ranking(order)
    assert second.pk not in after and sorted(after) == sorted([first.pk, third.pk])
    assert reloaded == cold


@pytest.mark.requirement("R-MAT-1")
def test_hours_time_off_skills_and_rewards_reload_the_roster(service, area):
    steady, changing = ProviderFactory.create_batch(2)
    order = order_for(service, area)
    assert set(ranking(order)[0]) == {steady.pk, changing.pk}

    TimeOff.objects.create(
        provider=changing, starts_on=order.starts_at.date(), ends_on=order.starts_at.date()
    )
    assert ranking(order)[0] == [steady.pk]
    TimeOff.objects.filter(provider=changing).delete()
    assert set(ranking(order)[0]) == {steady.pk, changing.pk}

    WorkingHours.objects.filter(provider=changing).delete()
    assert ranking(order)[0] == [steady.pk]

    steady.skills.set([SkillFactory(code="other", name="Other")])  # loses the service's skill
    assert ranking(order)[0] == []


@pytest.mark.requirement("R-MAT-4")
def test_a_new_reward_and_completed_jobs_change_the_order_at_once(service, area):
    low, high = (
        ProviderFactory(rating_average=4.0, rating_count=20),
        ProviderFactory(rating_average=4.2, rating_count=20),
    )
    order = order_for(service, area)
    assert ranking(order)[0] == [high.pk, low.pk]
    RewardFactory(provider=low)
    assert ranking(order)[0] == [low.pk, high.pk]


@pytest.mark.requirement("R-MAT-1")
def test_a_change_rolled_back_never_stays_in_a_kept_roster(service, area, operator):
    kept, dropped = ProviderFactory.create_batch(2)
    order = order_for(service, area)
    assert set(ranking(order)[0]) == {kept.pk, dropped.pk}

    class Undo(Exception):
        pass

    with pytest.raises(Undo), transaction.atomic():
        dropped.status = ProviderStatus.SUSPENDED
        dropped.save(update_fields=["status"])
        # Inside the transaction the change is seen, from a roster read afresh ...
        assert ranking(order)[0] == [kept.pk]
        raise Undo
    # ... and after the rollback the kept roster (never replaced) is right again.
    ranked, queries = ranking(order)
    assert set(ranked) == {kept.pk, dropped.pk} and queries == 5


@pytest.mark.requirement("R-MAT-1")
def test_without_the_cache_ranking_reads_the_providers_each_time(service, area, caplog):
    provider = ProviderFactory()
    order = order_for(service, area)
    with mock.patch.object(kept.cache, "get_many", side_effect=ConnectionError("down")):
        first, cold = ranking(order)
        second, again = ranking(order)
    assert first == second == [provider.pk]
    assert cold == again == 11
    assert "Cache unreachable; matching-rosters read afresh" in caplog.text


def test_completed_jobs_count_in_the_kept_roster(service, area):
    veteran, newcomer = ProviderFactory.create_batch(2)
    order = order_for(service, area)
    ranked = ranking(order)[0]
    for _ in range(3):
        OrderFactory(
            service_type=service,
            area=area,
            provider=newcomer if ranked[0] == veteran.pk else veteran,
            status=OrderStatus.COMPLETED,
            starts_at=local_datetime(-3, 10),
            ends_at=local_datetime(-3, 12),
        )
    # Experience with the service lifts the other one to the top.
    assert ranking(order)[0] == list(reversed(ranked))
