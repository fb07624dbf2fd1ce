"""Matching's state changes: recommendations the customer picks from (R-MAT-2), offers to the
chosen or best candidate and the provider's answer (R-MAT-3), and an operator's assignment by
hand. Each runs in one transaction; the web request only records a choice, Celery does the rest.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.notifications import notify_user
from orders.models import Channel, Order, OrderStatus
from orders.services import lifecycle as order_lifecycle
from providers.models import Provider

from . import tasks
from .models import Offer, OfferStatus, Recommendation, RecommendationStatus
from .selectors import candidates_for, ranked_candidates

RECOMMENDATIONS_PER_ROUND = 3
# Orders whose customer picks a provider in "recommend" mode; phone orders and recurring
# occurrences are offered automatically.
CHOOSING_CHANNELS = (Channel.WEB, Channel.API)

logger = logging.getLogger(__name__)


class OfferError(ValidationError):
    pass


class RecommendationError(ValidationError):
    pass


class AssignmentError(ValidationError):
    pass


NOBODY_FREE = gettext_noop("No provider with this skill in this area is free at that time.")


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


def _locked_requested(order_id: int) -> Order | None:
    order = Order.objects.select_for_update().filter(pk=order_id).first()
    if order is None or order.status != OrderStatus.REQUESTED:
        return None
    # An offered order sent back by a change of time (reschedule_order) may still have an
    # offer open for the old time: withdraw it before going on.
    for stale in Offer.objects.select_for_update().filter(order=order, status=OfferStatus.PENDING):
        _close(stale, OfferStatus.WITHDRAWN, gettext_noop("The order's time changed"))
    return order


@transaction.atomic
def advance_matching(*, order_id: int):
    """The next step for a requested order, in a Celery task (R-MAT-3): an offer to the best
    candidate (auto mode) or to the provider the customer chose, or the next round of
    recommendations, or no_provider when nobody is left.

    Safe to run twice: an order that is no longer `requested` is left alone, and an open round
    of recommendations is kept until the customer answers or RECOMMENDATION_CHOICE_MINUTES pass.
    Returns the Offer, the list of shown Recommendations, or None.
    """
    order = _locked_requested(order_id)
    if order is None:
        return None
    if matching_mode(order) == "auto":
        return _offer_best(order)
    return _advance_recommendations(order)


@transaction.atomic
def offer_to_next_candidate(*, order_id: int) -> Offer | None:
    """Offer a requested order to the best candidate, or say nobody is available (auto mode).

    Safe to run twice: an order that is no longer `requested` is left alone.
    """
    order = _locked_requested(order_id)
    if order is None:
        return None
    return _offer_best(order)


def _offer_best(order: Order) -> Offer | None:
    best = ranked_candidates(order, limit=1)
    if not best:
        _mark_nobody_left(order)
        return None
    return _make_offer(order, best[0].provider)


def _mark_nobody_left(order: Order) -> None:
    # no_provider is the operators' flag: the admin lists these orders to call the customer.
    order_lifecycle.mark_no_provider(order=order, reason=NOBODY_FREE)
    order_id = order.pk
    transaction.on_commit(lambda: _tell_customer(order_id, "no_provider"))


def _make_offer(order: Order, provider: Provider) -> Offer:
    offer = Offer.objects.create(
        order=order,
        provider=provider,
        expires_at=timezone.now() + timedelta(minutes=settings.OFFER_TIMEOUT_MINUTES),
    )
    order_lifecycle.mark_offered(
        order=order, reason=gettext_noop("Waiting for the provider to accept")
    )
    transaction.on_commit(lambda: _tell_provider_about(offer.pk))
    return offer


def _is_still_eligible(order: Order, provider_id: int) -> bool:
    return candidates_for(order).filter(pk=provider_id).exists()


def _pass(recommendations) -> None:
    Recommendation.objects.filter(pk__in=[r.pk for r in recommendations]).update(
        status=RecommendationStatus.PASSED, decided_at=timezone.now()
    )


def _advance_recommendations(order: Order):
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
            return _make_offer(order, chosen.provider)
        _pass([chosen])
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
                recommendation.status = RecommendationStatus.CHOSEN
                recommendation.decided_at = now
                recommendation.save(update_fields=["status", "decided_at"])
                _pass([r for r in shown if r.pk != recommendation.pk])
                return _make_offer(order, recommendation.provider)
        _pass(shown)
    else:
        latest_round = Recommendation.objects.filter(order=order).order_by("-round").first()
        choice_failed = choice_failed or (
            latest_round is not None and chosen_before.filter(round=latest_round.round).exists()
        )
    return _next_round(order, tell_customer=choice_failed)


def _next_round(order: Order, *, tell_customer: bool = False):
    earlier = Recommendation.objects.filter(order=order)
    last = earlier.order_by("-round", "-rank").first()
    ranked = ranked_candidates(
        order,
        limit=RECOMMENDATIONS_PER_ROUND,
        exclude_ids=earlier.values_list("provider_id", flat=True),
    )
    if not ranked:
        _mark_nobody_left(order)
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
    if tell_customer:
        # The chosen provider declined, let the offer expire, or became busy: ask again.
        order_id = order.pk
        transaction.on_commit(lambda: _tell_customer(order_id, "choose_again"))
    return shown


def _customers_requested_order(order: Order, customer) -> Order:
    locked = Order.objects.select_for_update().get(pk=order.pk)
    if locked.customer_id != customer.pk:
        raise RecommendationError(_("This is not your order."))
    if locked.status != OrderStatus.REQUESTED:
        raise RecommendationError(_("This order is no longer waiting for your choice."))
    return locked


@transaction.atomic
def choose_provider(*, order: Order, provider_id: int, customer) -> Recommendation:
    """The customer picks one of the shown providers; a task then makes the offer (R-MAT-2)."""
    order = _customers_requested_order(order, customer)
    shown = list(
        Recommendation.objects.select_for_update().filter(
            order=order, status=RecommendationStatus.SHOWN
        )
    )
    picked = next((r for r in shown if r.provider_id == provider_id), None)
    if picked is None:
        raise RecommendationError(_("This provider is no longer on offer; please pick another."))
    picked.status = RecommendationStatus.CHOSEN
    picked.decided_at = timezone.now()
    picked.save(update_fields=["status", "decided_at"])
    _pass([r for r in shown if r.pk != picked.pk])
    order_id = order.pk
    transaction.on_commit(lambda: tasks.enqueue_match(order_id))
    return picked


@transaction.atomic
def ask_for_other_providers(*, order: Order, customer) -> int:
    """The customer wants others: the shown ones are passed over and never shown again; a task
    computes the next round. Returns how many were passed."""
    order = _customers_requested_order(order, customer)
    shown = list(
        Recommendation.objects.select_for_update().filter(
            order=order, status=RecommendationStatus.SHOWN
        )
    )
    if not shown:
        raise RecommendationError(_("Your recommendations are still being prepared."))
    _pass(shown)
    order_id = order.pk
    transaction.on_commit(lambda: tasks.enqueue_match(order_id))
    return len(shown)


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
    if order.status not in (OrderStatus.REQUESTED, OrderStatus.OFFERED, OrderStatus.NO_PROVIDER):
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
    for pending in Offer.objects.select_for_update().filter(
        order=order, status=OfferStatus.PENDING
    ):
        _close(pending, OfferStatus.WITHDRAWN, gettext_noop("Assigned by hand by an operator"))
    _pass(Recommendation.objects.filter(order=order, status=RecommendationStatus.SHOWN))
    order = order_lifecycle.confirm_order(
        order=order, provider=provider, actor=actor, reason=reason
    )
    order_id = order.pk
    transaction.on_commit(lambda: _tell_customer(order_id, "confirmed"))
    transaction.on_commit(lambda: _tell_provider_assigned(order_id))
    return order


def _tell_provider_assigned(order_id: int) -> None:
    order = Order.objects.select_related("provider__user", "service_type").get(pk=order_id)
    notify_user(
        user=order.provider.user,
        template="matching/notifications/assigned",
        context={"order": order},
    )


def _tell_provider_about(offer_id: int) -> None:
    offer = Offer.objects.select_related("provider__user", "order__service_type").get(pk=offer_id)
    notify_user(
        user=offer.provider.user,
        template="matching/notifications/new_offer",
        context={"offer": offer, "order": offer.order},
    )


def _locked_pending_offer(offer: Offer, provider: Provider) -> Offer:
    locked = Offer.objects.select_for_update().select_related("order").get(pk=offer.pk)
    if locked.provider_id != provider.pk:
        raise OfferError(_("This offer was made to someone else."))
    if locked.status != OfferStatus.PENDING:
        raise OfferError(_("This offer is no longer open."))
    return locked


def _close(offer: Offer, status: str, reason: str = "") -> None:
    offer.status = status
    offer.responded_at = timezone.now()
    offer.reason = reason
    offer.save(update_fields=["status", "responded_at", "reason"])


@transaction.atomic
def accept_offer(*, offer: Offer, provider: Provider) -> Offer:
    """Confirm the order with this provider and block their time."""
    # The provider row first, as confirm_order does: two acceptances by one provider then queue
    # here instead of each holding its offer while the other withdraws it (a deadlock).
    Provider.objects.select_for_update().get(pk=provider.pk)
    offer = _locked_pending_offer(offer, provider)
    if offer.expires_at <= timezone.now():
        raise OfferError(_("This offer has expired."))
    order_lifecycle.confirm_order(order=offer.order, provider=provider, actor=provider.user)
    _close(offer, OfferStatus.ACCEPTED)
    # The provider's other offers at the same time can no longer be kept: pass them on.
    clashing = Offer.objects.select_for_update().filter(
        provider=provider,
        status=OfferStatus.PENDING,
        order__starts_at__lt=offer.order.ends_at,
        order__ends_at__gt=offer.order.starts_at,
    )
    for other in clashing.select_related("order"):
        _close(other, OfferStatus.WITHDRAWN, gettext_noop("The provider took another job then."))
        order_lifecycle.reopen_for_matching(
            order=other.order, actor=None, reason=gettext_noop("The provider became busy")
        )
    order_id = offer.order_id
    transaction.on_commit(lambda: _tell_customer(order_id, "confirmed"))
    return offer


def _tell_customer(order_id: int, template: str) -> None:
    order = Order.objects.select_related("customer", "provider__user", "service_type").get(
        pk=order_id
    )
    link = settings.SITE_URL.rstrip("/") + reverse("matching:choose", args=[order.pk])
    notify_user(
        user=order.customer,
        template=f"matching/notifications/{template}",
        context={"order": order, "link": link},
    )


@transaction.atomic
def decline_offer(*, offer: Offer, provider: Provider, reason: str = "") -> Offer:
    """Refuse the offer; the order goes to the next candidate, never back to this provider."""
    offer = _locked_pending_offer(offer, provider)
    _close(offer, OfferStatus.DECLINED, reason.strip())
    order_lifecycle.reopen_for_matching(
        order=offer.order, actor=provider.user, reason=gettext_noop("Declined by the provider")
    )
    return offer


def expire_stale_offers() -> int:
    """Pass every offer past its deadline to the next candidate. Returns how many expired."""
    expired = 0
    stale_ids = Offer.objects.filter(
        status=OfferStatus.PENDING, expires_at__lte=timezone.now()
    ).values_list("pk", flat=True)
    for offer_id in list(stale_ids):
        with transaction.atomic():
            offer = (
                Offer.objects.select_for_update()
                .select_related("order")
                .filter(pk=offer_id, status=OfferStatus.PENDING)
                .first()
            )
            if offer is None:  # answered meanwhile
                continue
            _close(offer, OfferStatus.EXPIRED, gettext_noop("No answer in time"))
            order_lifecycle.reopen_for_matching(
                order=offer.order, actor=None, reason=gettext_noop("The offer expired unanswered")
            )
            expired += 1
    return expired


def orders_stuck_in_matching():
    """Requested orders nobody picked up: a lost task message left them waiting."""
    cutoff = timezone.now() - timedelta(minutes=settings.MATCHING_SWEEP_AFTER_MINUTES)
    return Order.objects.filter(
        status=OrderStatus.REQUESTED, status_changed_at__lte=cutoff
    ).values_list("pk", flat=True)
