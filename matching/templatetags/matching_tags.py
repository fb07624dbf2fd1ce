"""Template tags other apps' templates use without importing matching (orders' order page)."""

from django import template

from orders.models import OrderStatus

from ..services.recommendations import matching_mode

register = template.Library()


@register.filter
def customer_chooses(order) -> bool:
    """Whether the customer picks the provider of this order now (recommend mode)."""
    return order.status == OrderStatus.REQUESTED and matching_mode(order) == "recommend"
