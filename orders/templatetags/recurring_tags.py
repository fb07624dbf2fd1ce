from django import template

from ..forms.recurring import IntervalForm
from ..models import RecurringSeries, SeriesOccurrence, SeriesStatus
from ..services.recurring import can_repeat

register = template.Library()


@register.inclusion_tag("orders/recurring/fragment_repeat_panel.html")
def repeat_panel(order):
    """On the customer's order page: "Repeat this cleaning" when allowed, or the series this
    order belongs to or started."""
    occurrence = SeriesOccurrence.objects.filter(order=order).select_related("series").first()
    started = (
        RecurringSeries.objects.filter(first_order=order).exclude(status=SeriesStatus.ENDED).first()
    )
    series = occurrence.series if occurrence else started
    return {
        "order": order,
        "series": series,
        "can_repeat": series is None and can_repeat(order),
        "form": IntervalForm(),
    }
