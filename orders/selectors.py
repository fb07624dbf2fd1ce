from django.db.models import Subquery
from django.utils import timezone

from .models import Order, OrderStatus, PriceBook, ServiceType


def bookable_service_types():
    """Active services, not in a hidden category, priced in the current price book (R-ORD-2).
    The current version is found by a subquery as of the call: forms and serializers call this
    again for each instance so a newly published version counts at once."""
    current = (
        PriceBook.objects.published()
        .filter(valid_from__lte=timezone.now())
        .order_by("-valid_from", "-number")
        .values("pk")[:1]
    )
    return (
        ServiceType.objects.filter(is_active=True, price_rules__price_book=Subquery(current))
        .exclude(category__is_active=False)
        .select_related("category")
        .order_by("category__ordering", "category__name", "name")
    )


def orders_for_customer(*, customer):
    return Order.objects.filter(customer=customer).select_related(
        "service_type", "area", "provider__user"
    )


def jobs_for_provider(*, provider):
    return Order.objects.filter(provider=provider).select_related(
        "service_type", "area", "customer"
    )


def looking_for_provider_count() -> int:
    """Orders waiting for a provider (the /metrics gauge)."""
    return Order.objects.filter(status=OrderStatus.REQUESTED).count()
