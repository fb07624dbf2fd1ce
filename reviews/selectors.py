from datetime import timedelta

from django.conf import settings
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Subquery,
    Value,
    When,
)
from django.utils import timezone

from accounts.models import StaffGroup
from orders.models import Order, OrderStatus
from providers.models import Provider, ProviderStatus

from .models import FeedbackCallStatus, ProviderFeedbackCall, Rating


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


def rolling_average(*, provider, count: int, since=None) -> tuple[float | None, int]:
    """Mean score over the provider's last `count` ratings (given `since`, when set), and how
    many ratings that was."""
    ratings = Rating.objects.filter(provider=provider)
    if since is not None:
        ratings = ratings.filter(created_at__gte=since)
    recent = list(
        ratings.order_by("-created_at", "-id")
        .annotate(total=F("attitude") + F("result") + F("compliance"))
        .values_list("total", flat=True)[:count]
    )
    if not recent:
        return None, 0
    return sum(recent) / (3 * len(recent)), len(recent)


# Feedback calls (R-VET-8) ---------------------------------------------------------------------

FEEDBACK_CALL_GROUPS = (StaffGroup.QUALITY, StaffGroup.SUPPORT)


def works_feedback_calls(user) -> bool:
    """Quality and support staff (and superusers) work the provider feedback call list."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return user.is_staff and user.groups.filter(name__in=FEEDBACK_CALL_GROUPS).exists()


def completed_orders_count(*, provider_id: int) -> int:
    return Order.objects.filter(provider_id=provider_id, status=OrderStatus.COMPLETED).count()


def feedback_calls_missing() -> list[tuple[int, int]]:
    """(provider id, milestone) for providers whose latest milestone has no call yet.

    The latest milestone is the completed-order count rounded down to a multiple of
    FEEDBACK_CALL_EVERY_N_ORDERS; earlier ones missed are not called any more. Removed
    providers are left out. One query.
    """
    every = settings.FEEDBACK_CALL_EVERY_N_ORDERS
    if every <= 0:
        return []
    completed = (
        Order.objects.filter(provider=OuterRef("pk"), status=OrderStatus.COMPLETED)
        .order_by()
        .values("provider")
        .annotate(n=Count("pk"))
        .values("n")
    )
    has_call = ProviderFeedbackCall.objects.filter(
        provider=OuterRef("pk"), milestone=OuterRef("milestone")
    )
    return list(
        Provider.objects.exclude(status=ProviderStatus.REMOVED)
        .annotate(completed=Subquery(completed, output_field=IntegerField()))
        .annotate(milestone=F("completed") / every * every)
        .filter(milestone__gt=0)
        .exclude(Exists(has_call))
        .order_by("pk")
        .values_list("pk", "milestone")
    )


def feedback_call_list():
    """The call list: open calls first, then the unreachable to try again, then done; oldest
    due first within each. Provider, caller and attached ratings come in two queries."""
    rank = Case(
        When(status=FeedbackCallStatus.OPEN, then=Value(0)),
        When(status=FeedbackCallStatus.UNREACHABLE, then=Value(1)),
        default=Value(2),
    )
    return (
        ProviderFeedbackCall.objects.select_related("provider__user", "called_by")
        .prefetch_related(
            Prefetch("ratings", queryset=Rating.objects.order_by("-created_at", "-id"))
        )
        .annotate(rank=rank)
        .order_by("rank", "due_at", "pk")
    )


def ratings_to_relay(*, provider_id: int, limit: int):
    """The provider's latest ratings not yet read out on an earlier feedback call."""
    return (
        Rating.objects.filter(provider_id=provider_id)
        .exclude(feedback_calls__isnull=False)
        .order_by("-created_at", "-id")[:limit]
    )
