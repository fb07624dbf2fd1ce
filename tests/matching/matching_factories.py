"""Factories and helpers for matching's tests (recommendations, rewards, rated providers)."""

from datetime import timedelta

import factory
from django.utils import timezone

from matching.models import Recommendation, RecommendationStatus
from orders.models import Order, OrderStatus
from providers.models import ProviderReward
from tests.factories import OperatorFactory, OrderFactory, ProviderFactory


class RewardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProviderReward

    provider = factory.SubFactory(ProviderFactory)
    reason = "Excellent feedback all month"
    starts = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    ends = factory.LazyFunction(lambda: timezone.now() + timedelta(days=29))
    created_by = factory.SubFactory(OperatorFactory)


class RecommendationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Recommendation

    order = factory.SubFactory(OrderFactory)
    provider = factory.SubFactory(ProviderFactory)
    round = 1
    rank = 1
    score = factory.LazyAttribute(
        lambda o: {
            "features": {"provider_id": o.provider.pk},
            "parts": {},
            "total": 0.0,
            "maxima": {},
        }
    )
    status = RecommendationStatus.SHOWN


def completed_jobs(provider, service_type, count: int, **kwargs) -> list[Order]:
    """`count` completed jobs of the service in the past (outside this week's workload)."""
    base = timezone.now() - timedelta(days=60)
    return [
        OrderFactory(
            provider=provider,
            service_type=service_type,
            area=kwargs.get("area") or provider.areas.first(),
            status=OrderStatus.COMPLETED,
            starts_at=base - timedelta(days=i),
            ends_at=base - timedelta(days=i) + timedelta(hours=2),
            completed_at=base - timedelta(days=i) + timedelta(hours=2),
            **{k: v for k, v in kwargs.items() if k != "area"},
        )
        for i in range(count)
    ]
