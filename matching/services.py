"""Offers: propose an order to the best candidate, and act on the provider's answer."""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.notifications import notify_user
from orders import services as order_services
from orders.models import Order, OrderStatus
from providers.models import Provider

from .models import Offer, OfferStatus
from .selectors import candidates_for

logger = logging.getLogger(__name__)


class OfferError(ValidationError):
    pass


@transaction.atomic
def offer_to_next_candidate(*, order_id: int) -> Offer | None:
    """Offer a requested order to the best candidate, or say nobody is available.

    Safe to run twice: an order that is no longer `requested` is left alone.
    """
    order = Order.objects.select_for_update().filter(pk=order_id).first()
    if order is None or order.status != OrderStatus.REQUESTED:
        return None
    # An offered order sent back by a change of time (reschedule_order) may still have an
    # offer open for the old time: withdraw it before offering the new time.
    for stale in Offer.objects.select_for_update().filter(order=order, status=OfferStatus.PENDING):
        _close(stale, OfferStatus.WITHDRAWN, gettext_noop("The order's time changed"))
    provider = candidates_for(order).first()
    if provider is None:
        order_services.mark_no_provider(
            order=order,
            reason=gettext_noop("No provider with this skill in this area is free at that time."),
        )
        transaction.on_commit(lambda: _tell_customer(order_id, "no_provider"))
        return None
    offer = Offer.objects.create(
        order=order,
        provider=provider,
        expires_at=timezone.now() + timedelta(minutes=settings.OFFER_TIMEOUT_MINUTES),
    )
    order_services.mark_offered(
        order=order, reason=gettext_noop("Waiting for the provider to accept")
    )
    transaction.on_commit(lambda: _tell_provider_about(offer.pk))
    return offer


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
    order_services.confirm_order(order=offer.order, provider=provider, actor=provider.user)
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
        order_services.reopen_for_matching(
            order=other.order, actor=None, reason=gettext_noop("The provider became busy")
        )
    order_id = offer.order_id
    transaction.on_commit(lambda: _tell_customer(order_id, "confirmed"))
    return offer


def _tell_customer(order_id: int, template: str) -> None:
    order = Order.objects.select_related("customer", "provider__user", "service_type").get(
        pk=order_id
    )
    notify_user(
        user=order.customer, template=f"matching/notifications/{template}", context={"order": order}
    )


@transaction.atomic
def decline_offer(*, offer: Offer, provider: Provider, reason: str = "") -> Offer:
    """Refuse the offer; the order goes to the next candidate, never back to this provider."""
    offer = _locked_pending_offer(offer, provider)
    _close(offer, OfferStatus.DECLINED, reason.strip())
    order_services.reopen_for_matching(
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
            order_services.reopen_for_matching(
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
