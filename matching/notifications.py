"""Matching's messages to people, sent once the change that caused them has committed (the
services pass these to `transaction.on_commit` with ids, never objects)."""

from django.conf import settings
from django.urls import reverse

from core.notifications import notify_user
from orders.models import Order

from .models import Offer


def tell_customer(order_id: int, template: str) -> None:
    """One of matching/notifications/{confirmed, no_provider, choose_again}, with the link to
    the order's choice page."""
    order = Order.objects.select_related("customer", "provider__user", "service_type").get(
        pk=order_id
    )
    link = settings.SITE_URL.rstrip("/") + reverse("matching:choose", args=[order.pk])
    notify_user(
        user=order.customer,
        template=f"matching/notifications/{template}",
        context={"order": order, "link": link},
    )


def tell_provider_about_offer(offer_id: int) -> None:
    offer = Offer.objects.select_related("provider__user", "order__service_type").get(pk=offer_id)
    notify_user(
        user=offer.provider.user,
        template="matching/notifications/new_offer",
        context={"offer": offer, "order": offer.order},
    )


def tell_provider_assigned(order_id: int) -> None:
    order = Order.objects.select_related("provider__user", "service_type").get(pk=order_id)
    notify_user(
        user=order.provider.user,
        template="matching/notifications/assigned",
        context={"order": order},
    )
