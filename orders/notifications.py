"""Messages about an order to its customer and provider (issue 4).

Each function reads the order afresh and sends one message; callers register it (or, for the
frequent "order received", its task) with `transaction.on_commit`, so nothing is sent for work
that is rolled back.
"""

from datetime import timedelta

from django.conf import settings
from django.urls import reverse

from core.notifications import notify_user

from .models import Channel, CompletionReport, Order, SeriesOccurrence

TEMPLATES = "orders/notifications"


def _order(order_id: int) -> Order:
    return Order.objects.select_related("customer", "provider__user", "service_type").get(
        pk=order_id
    )


def tell_order_received(order_id: int) -> None:
    """The customer's order was saved: its number, service, time and price. An occurrence of a
    recurring series says "your next cleaning is booked for ..." instead."""
    order = _order(order_id)
    template = "recurring_booked" if order.channel == Channel.RECURRING else "order_received"
    notify_user(user=order.customer, template=f"{TEMPLATES}/{template}", context={"order": order})


def tell_on_the_way(order_id: int) -> None:
    """The provider has set off to the customer."""
    order = _order(order_id)
    notify_user(user=order.customer, template=f"{TEMPLATES}/on_the_way", context={"order": order})


def tell_arrived(order_id: int) -> None:
    """The provider has arrived and checked the details of the booking (R-ORD-6)."""
    order = _order(order_id)
    notify_user(user=order.customer, template=f"{TEMPLATES}/arrived", context={"order": order})


def tell_completed(order_id: int) -> None:
    """The job is done: the customer may rate it, by the deadline, at an absolute link. The
    email carries the provider's report of what was done (R-ORD-6)."""
    order = _order(order_id)
    link = settings.SITE_URL.rstrip("/") + reverse("reviews:rate", args=[order.pk])
    deadline = order.completed_at + timedelta(hours=settings.RATING_WINDOW_HOURS)
    report = CompletionReport.objects.filter(order=order).first()
    notify_user(
        user=order.customer,
        template=f"{TEMPLATES}/completed_rate_now",
        context={"order": order, "rate_url": link, "deadline": deadline, "report": report},
    )


def tell_day_before(order_id: int) -> None:
    """The job is tomorrow: remind both the customer and the provider."""
    order = _order(order_id)
    for user, role in ((order.customer, "customer"), (order.provider.user, "provider")):
        notify_user(
            user=user, template=f"{TEMPLATES}/reminder", context={"order": order, "role": role}
        )


def tell_series_date_skipped(occurrence_id: int) -> None:
    """A date of the customer's recurring series could not be booked, and why."""
    occurrence = SeriesOccurrence.objects.select_related(
        "series__customer", "series__service_type"
    ).get(pk=occurrence_id)
    notify_user(
        user=occurrence.series.customer,
        template=f"{TEMPLATES}/series_date_skipped",
        context={"occurrence": occurrence, "problem": occurrence.problem},
    )
