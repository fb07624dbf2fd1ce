"""Links to the managers' staff pages, shown only to those who may open them."""

from django import template

from ..views.staff import can_view_funnel as _can_view_funnel

register = template.Library()


@register.filter
def can_view_funnel(user) -> bool:
    return _can_view_funnel(user)
