"""Recommendations (R-MAT-2): whether the customer picks the provider, the rounds of up to three
they pick from, and the offer to their choice (or, when they let the time pass, to the best one
still free). The customer's own answers, which queue the next step, are in matching/requests.py.
"""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from core.outbox import after_commit
from orders.models import Channel, Order, OrderStatus

from ..models import Offer, Recommendation, RecommendationStatus
from ..notifications import tell_customer
from ..selectors import candidates_for, ranked_candidates
from .offers import AWAITING_ANSWER, make_offer, mark_nobody_left

RECOMMENDATIONS_PER_ROUND = 3
# Orders whose customer picks a provider in "recommend" mode; phone orders and recurring
# occurrences are offered automatically.
CHOOSING_CHANNELS = (Channel.WEB, Channel.API)


class RecommendationError(ValidationError):
    pass


def matching_mode(order: Order) -> str:
    """ "recommend" when the customer picks (web and app orders in recommend mode), else "auto".

    A guarantee redo is offered automatically, and with RECOMMENDATION_AUTO_AFTER_DECLINE an
    order whose chosen provider declined or let the offer expire goes to the next best.
    """
    if settings.MATCHING_MODE != "recommend" or order.channel not in CHOOSING_CHANNELS:
        return "auto"
    if order.avoid_provider_id:
        return "auto"
    if settings.RECOMMENDATION_AUTO_AFTER_DECLINE and order.offers.exists():
        return "auto"
    return "recommend"


def pass_over(recommendations) -> None:
    """The customer passed these (or they lapsed): never shown for the order again."""
    Recommendation.objects.filter(pk__in=[r.pk for r in recommendations]).update(
        status=RecommendationStatus.PASSED, decided_at=timezone.now()
    )


def choose(picked: Recommendation, shown: list[Recommendation]) -> None:
    """`picked` is chosen and the rest of the round passed over."""
    picked.status = RecommendationStatus.CHOSEN
    picked.decided_at = timezone.now()
    picked.save(update_fields=["status", "decided_at"])
    pass_over([r for r in shown if r.pk != picked.pk])


def customers_requested_order(order: Order, customer) -> Order:
    """The customer's order, locked, while it still waits for their choice."""
    locked = Order.objects.select_for_update().get(pk=order.pk)
    if locked.customer_id != customer.pk:
        raise RecommendationError(_("This is not your order."))
    if locked.status != OrderStatus.REQUESTED:
        raise RecommendationError(_("This order is no longer waiting for your choice."))
    return locked


def shown_for_update(order: Order) -> list[Recommendation]:
    """The round the customer is choosing from, locked."""
    return list(
        Recommendation.objects.select_for_update().filter(
            order=order, status=RecommendationStatus.SHOWN
        )
    )


def _is_still_eligible(order: Order, provider_id: int) -> bool:
    return candidates_for(order).filter(pk=provider_id).exists()


def _offer_to(order: Order, recommendation: Recommendation) -> Offer:
    return make_offer(order=order, provider_id=recommendation.provider_id, reason=AWAITING_ANSWER)


def advance_recommendations(order: Order):
    """The recommend mode's next step for a requested order (locked by the caller): the offer
    to the customer's choice if still free, the round kept while they are still choosing, the
    best one still free once RECOMMENDATION_CHOICE_MINUTES have passed, or the next round.
    Returns the Offer, the list of shown Recommendations, or None (nobody left)."""
    now = timezone.now()
    chosen_before = Recommendation.objects.filter(order=order, status=RecommendationStatus.CHOSEN)
    chosen = chosen_before.exclude(
        provider__in=Offer.objects.filter(order=order).values("provider")
    ).first()
    # Whether the customer's last choice fell through (declined, expired, became busy): then
    # they are told to choose again.
    choice_failed = False
    if chosen is not None:  # the customer picked: offer to them if they are still free
        if _is_still_eligible(order, chosen.provider_id):
            return _offer_to(order, chosen)
        pass_over([chosen])
        choice_failed = True
    shown = list(
        Recommendation.objects.filter(order=order, status=RecommendationStatus.SHOWN).order_by(
            "rank"
        )
    )
    if shown:
        deadline = min(r.created_at for r in shown) + timedelta(
            minutes=settings.RECOMMENDATION_CHOICE_MINUTES
        )
        if deadline > now:
            return shown  # the customer is still choosing
        # No choice in time: the best one still free gets the offer.
        for recommendation in shown:
            if _is_still_eligible(order, recommendation.provider_id):
                choose(recommendation, shown)
                return _offer_to(order, recommendation)
        pass_over(shown)
    else:
        latest_round = Recommendation.objects.filter(order=order).order_by("-round").first()
        choice_failed = choice_failed or (
            latest_round is not None and chosen_before.filter(round=latest_round.round).exists()
        )
    return _next_round(order, tell_customer_to_choose_again=choice_failed)


def _next_round(order: Order, *, tell_customer_to_choose_again: bool = False):
    earlier = Recommendation.objects.filter(order=order)
    last = earlier.order_by("-round", "-rank").first()
    ranked = ranked_candidates(
        order,
        limit=RECOMMENDATIONS_PER_ROUND,
        exclude_ids=earlier.values_list("provider_id", flat=True),
    )
    if not ranked:
        mark_nobody_left(order)
        return None
    round_number = (last.round + 1) if last else 1
    shown = Recommendation.objects.bulk_create(
        [
            Recommendation(
                order=order,
                provider=candidate.provider,
                round=round_number,
                rank=rank,
                score=candidate.score.as_dict(),
            )
            for rank, candidate in enumerate(ranked, start=1)
        ]
    )
    if tell_customer_to_choose_again:
        # The chosen provider declined, let the offer expire, or became busy: ask again.
        after_commit(tell_customer, order.pk, "choose_again")
    return shown
