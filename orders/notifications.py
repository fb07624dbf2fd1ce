"""Messages about an order to its customer and provider (issue 4).

Each function reads the order afresh and sends one message; callers register it with
`transaction.on_commit`, so nothing is sent for work that is rolled back.
"""

from datetime import timedelta

from django.conf import settings
from django.urls import reverse

from accounts.notifications import notify_user

from .models import Order

TEMPLATES = "orders/notifications"


def _order(order_id: int) -> Order:
    return Order.objects.select_related("customer", "provider__user", "service_type").get(
        pk=order_id
    )


def tell_order_received(order_id: int) -> None:
    """The customer's order was saved: its number, service, time and price."""
    order = _order(order_id)
    notify_user(
        user=order.customer, template=f"{TEMPLATES}/order_received", context={"order": order}
    )


def tell_on_the_way(order_id: int) -> None:
    """The provider has set off to the customer."""
    order = _order(order_id)
    notify_user(user=order.customer, template=f"{TEMPLATES}/on_the_way", context={"order": order})


def tell_completed(order_id: int) -> None:
    """The job is done: the customer may rate it, by the deadline, at an absolute link."""
    order = _order(order_id)
    link = settings.SITE_URL.rstrip("/") + reverse("reviews:rate", args=[order.pk])
    deadline = order.completed_at + timedelta(hours=settings.RATING_WINDOW_HOURS)
    notify_user(
        user=order.customer,
        template=f"{TEMPLATES}/completed_rate_now",
        context={"order": order, "rate_url": link, "deadline": deadline},
    )


def tell_day_before(order_id: int) -> None:
    """The job is tomorrow: remind both the customer and the provider."""
    order = _order(order_id)
    for user, role in ((order.customer, "customer"), (order.provider.user, "provider")):
        notify_user(
            user=user, template=f"{TEMPLATES}/reminder", context={"order": order, "role": role}
        )
