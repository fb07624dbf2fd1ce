from django.db.models import Exists, OuterRef

from orders.models import Order
from orders.scheduling import eligible_providers

from .models import Offer, OfferStatus


def candidates_for(order: Order):
    """Providers who could take the order, best first.

    Who may take it at all (skills, area, working hours, time off, other jobs with the gap
    between them, daily and weekly hours) is `orders.scheduling.eligible_providers`. Matching
    adds its own concerns: a provider is never offered the same order twice, and the one with
    the fewest hours that week (done or to do) comes first, so work is spread (R-MAT-5).
    """
    already_offered = Offer.objects.filter(order=order, provider=OuterRef("pk"))
    return (
        eligible_providers(
            service_type=order.service_type,
            area=order.area,
            starts_at=order.starts_at,
            ends_at=order.ends_at,
        )
        .exclude(Exists(already_offered))
        # A guarantee redo goes to someone other than the provider of the unsatisfactory job.
        .exclude(pk=order.avoid_provider_id or 0)
        .order_by("week_hours", "pk")
    )


def pending_offers_for(*, provider):
    return (
        Offer.objects.filter(provider=provider, status=OfferStatus.PENDING)
        .select_related("order__service_type", "order__area")
        .order_by("order__starts_at")
    )
