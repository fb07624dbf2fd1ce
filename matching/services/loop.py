"""The matching loop (R-MAT-3): the next step for a requested order, run by `match_order_task`
whenever the order needs a provider (booked, declined, expired, sent back, or chosen by the
customer). Safe to run twice: an order that is no longer `requested` is left alone."""

from django.db import transaction
from django.utils.translation import gettext_noop

from orders.models import Order, OrderStatus

from ..models import Offer
from ..selectors import ranked_candidates
from .offers import AWAITING_ANSWER, make_offer, mark_nobody_left, withdraw_open_offers
from .recommendations import advance_recommendations, matching_mode


def _locked_requested(order_id: int) -> Order | None:
    order = Order.objects.select_for_update().filter(pk=order_id).first()
    if order is None or order.status != OrderStatus.REQUESTED:
        return None
    # An offered order sent back by a change of time (reschedule_order) may still have an
    # offer open for the old time: withdraw it before going on.
    withdraw_open_offers(order=order, reason=gettext_noop("The order's time changed"))
    return order


@transaction.atomic
def advance_matching(*, order_id: int):
    """The next step for a requested order: an offer to the best candidate (auto mode) or to
    the provider the customer chose, or the next round of recommendations, or no_provider when
    nobody is left (`recommendations.advance_recommendations`).

    An open round of recommendations is kept until the customer answers or
    RECOMMENDATION_CHOICE_MINUTES pass. Returns the Offer, the list of shown Recommendations,
    or None.
    """
    order = _locked_requested(order_id)
    if order is None:
        return None
    if matching_mode(order) == "auto":
        return _offer_best(order)
    return advance_recommendations(order)


@transaction.atomic
def offer_to_next_candidate(*, order_id: int) -> Offer | None:
    """Offer a requested order to the best candidate, or say nobody is available (auto mode)."""
    order = _locked_requested(order_id)
    if order is None:
        return None
    return _offer_best(order)


def _offer_best(order: Order) -> Offer | None:
    best = ranked_candidates(order, limit=1)
    if not best:
        mark_nobody_left(order)
        return None
    return make_offer(order=order, provider_id=best[0].provider.pk, reason=AWAITING_ANSWER)
