"""Assignment by hand (R-MAT-1): an operator gives the job to a provider they chose, with a
reason, from the matching audit page."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.outbox import after_commit
from orders.models import Order, OrderStatus
from orders.services import lifecycle as order_lifecycle
from providers.models import Provider

from ..models import Recommendation, RecommendationStatus
from ..notifications import tell_customer, tell_provider_assigned
from .offers import withdraw_open_offers
from .recommendations import pass_over

# Orders still looking for a provider: only these are assigned by hand.
ASSIGNABLE_STATUSES = (OrderStatus.REQUESTED, OrderStatus.OFFERED, OrderStatus.NO_PROVIDER)


class AssignmentError(ValidationError):
    pass


@transaction.atomic
def assign_by_hand(*, order: Order, provider: Provider, actor, reason: str) -> Order:
    """An operator gives the job to a provider they chose, with a reason (R-MAT-1 audit).

    Goes through orders' confirm_order, which still refuses a double booking, time off and the
    hour limits under the provider's lock; an open offer is withdrawn and an open round of
    recommendations closed in the same transaction. The reason is in the order's timeline.
    """
    reason = reason.strip()
    if not reason:
        raise AssignmentError(_("Give a reason for assigning by hand."))
    # The provider's row first, then the order's, as confirm_order and accept_offer lock them.
    provider = Provider.objects.select_for_update().get(pk=provider.pk)
    order = Order.objects.select_for_update().get(pk=order.pk)
    _check_assignable(order, provider)
    withdraw_open_offers(order=order, reason=gettext_noop("Assigned by hand by an operator"))
    pass_over(Recommendation.objects.filter(order=order, status=RecommendationStatus.SHOWN))
    order = order_lifecycle.confirm_order(
        order=order, provider=provider, actor=actor, reason=reason
    )
    after_commit(tell_customer, order.pk, "confirmed")
    after_commit(tell_provider_assigned, order.pk)
    return order


def _check_assignable(order: Order, provider: Provider) -> None:
    """Refuse an order no longer looking for a provider, and a provider who may not take it
    (not bookable, a missing skill, below the service's tier)."""
    if order.status not in ASSIGNABLE_STATUSES:
        raise AssignmentError(
            _("This order is %(status)s; only an order looking for a provider can be assigned.")
            % {"status": order.get_status_display().lower()}
        )
    if not provider.is_bookable or not provider.user.is_active:
        raise AssignmentError(_("This provider may not take jobs now (not active)."))
    missing = order.service_type.required_skills.exclude(
        pk__in=provider.skills.values("pk")
    ).values_list("name", flat=True)
    if missing:
        raise AssignmentError(
            _("This provider lacks a skill the service needs: %(skills)s.")
            % {"skills": ", ".join(missing)}
        )
    if not order.service_type.accepts_tier(provider.tier):
        raise AssignmentError(_("This provider is below the service's qualification tier."))
