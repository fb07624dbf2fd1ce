from datetime import timedelta

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from orders.models import Order, OrderStatus

from .models import Rating


def rating_deadline(order: Order):
    if order.completed_at is None:
        return None
    return order.completed_at + timedelta(hours=settings.RATING_WINDOW_HOURS)


def can_rate(order: Order) -> bool:
    deadline = rating_deadline(order)
    return (
        order.status == OrderStatus.COMPLETED
        and deadline is not None
        and timezone.now() <= deadline
        and not Rating.objects.filter(order=order).exists()
    )


def rolling_average(*, provider, count: int) -> tuple[float | None, int]:
    """Mean score over the provider's last `count` ratings, and how many ratings that was."""
    recent = list(
        Rating.objects.filter(provider=provider)
        .order_by("-created_at", "-id")
        .annotate(total=F("attitude") + F("result") + F("compliance"))
        .values_list("total", flat=True)[:count]
    )
    if not recent:
        return None, 0
    return sum(recent) / (3 * len(recent)), len(recent)
