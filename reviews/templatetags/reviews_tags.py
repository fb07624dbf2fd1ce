from django import template
from django.conf import settings

from ..models import Rating
from ..selectors import can_rate, rating_deadline

register = template.Library()


@register.inclusion_tag("reviews/fragment_rating_panel.html")
def rating_panel(order):
    """The rating part of the customer's order page: the rating, a link to rate, or closed."""
    rating = Rating.objects.filter(order=order).first()
    return {
        "order": order,
        "rating": rating,
        "can_rate": rating is None and can_rate(order),
        "deadline": rating_deadline(order),
        "window_hours": settings.RATING_WINDOW_HOURS,
    }
