from datetime import timedelta

from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from orders.models import BLOCKING_STATUSES, Order, OrderStatus
from providers.models import WorkingHours
from providers.selectors import bookable_providers

from .models import Offer, OfferStatus


def candidates_for(order: Order):
    """Providers who could take the order, best first.

    Active, holding every skill the service requires, serving the area, working for the whole
    job that weekday, not booked then, and never offered this order before. Among them the one
    with the fewest jobs that week (done or to do) comes first, so work is spread.
    """
    local_start = timezone.localtime(order.starts_at)
    local_end = timezone.localtime(order.ends_at)
    providers = bookable_providers().filter(areas=order.area)
    for skill_id in order.service_type.required_skills.values_list("pk", flat=True):
        providers = providers.filter(skills=skill_id)
    works_then = WorkingHours.objects.filter(
        provider=OuterRef("pk"),
        weekday=local_start.weekday(),
        starts__lte=local_start.time(),
        ends__gte=local_end.time(),
    )
    busy_then = (
        Order.objects.blocking()
        .filter(provider=OuterRef("pk"))
        .overlapping(order.starts_at, order.ends_at)
    )
    already_offered = Offer.objects.filter(order=order, provider=OuterRef("pk"))
    week_start = (local_start - timedelta(days=local_start.weekday())).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    return (
        providers.filter(Exists(works_then))
        .exclude(Exists(busy_then))
        .exclude(Exists(already_offered))
        .annotate(
            jobs_this_week=Count(
                "orders",
                filter=Q(
                    orders__status__in=[*BLOCKING_STATUSES, OrderStatus.COMPLETED],
                    orders__starts_at__gte=week_start,
                    orders__starts_at__lt=week_start + timedelta(days=7),
                ),
            )
        )
        .order_by("jobs_this_week", "pk")
    )


def pending_offers_for(*, provider):
    return (
        Offer.objects.filter(provider=provider, status=OfferStatus.PENDING)
        .select_related("order__service_type", "order__area")
        .order_by("order__starts_at")
    )
