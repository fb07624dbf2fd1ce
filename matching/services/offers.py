"""Offers (R-MAT-3): making one (`make_offer`, for the matching loop and the batch alike), or
saying nobody is left to make one to; the provider's answer; withdrawal and expiry."""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.outbox import after_commit
from orders.models import Order
from orders.services import lifecycle as order_lifecycle
from providers.models import Provider

from ..models import Offer, OfferStatus
from ..notifications import tell_customer, tell_provider_about_offer

NOBODY_FREE = gettext_noop("No provider with this skill in this area is free at that time.")
# The order's timeline while matching's own offer waits (a batch gives the operator's reason).
AWAITING_ANSWER = gettext_noop("Waiting for the provider to accept")


class OfferError(ValidationError):
    pass


def make_offer(*, order: Order, provider_id: int, reason: str, actor=None) -> Offer:
    """Offer the order to the provider until OFFER_TIMEOUT_MINUTES from now, mark the order
    offered (`reason` and `actor` go to its timeline: an operator's batch, or None for
    matching) and tell the provider once committed. Runs in the caller's transaction, which
    holds the order's row lock."""
    offer = Offer.objects.create(
        order=order,
        provider_id=provider_id,
        expires_at=timezone.now() + timedelta(minutes=settings.OFFER_TIMEOUT_MINUTES),
    )
    # The offer and its card show the price of this provider (R-ORD-2): the order is priced
    # for their tier now, and again for whoever accepts it.
    order_lifecycle.reprice_for_provider(
        order=order, provider=Provider.objects.only("tier").get(pk=provider_id), actor=actor
    )
    order_lifecycle.mark_offered(order=order, reason=reason, actor=actor)
    # Pointless once the offer has expired: then it is dropped, not sent.
    after_commit(tell_provider_about_offer, offer.pk, not_after=offer.expires_at)
    return offer


def mark_nobody_left(order: Order) -> None:
    """Nobody can take the order: no_provider, the operators' queue (the admin lists these
    orders to call the customer), and the customer is told once committed."""
    order_lifecycle.mark_no_provider(order=order, reason=NOBODY_FREE)
    after_commit(tell_customer, order.pk, "no_provider")


def close_offer(offer: Offer, status: str, reason: str = "") -> None:
    offer.status = status
    offer.responded_at = timezone.now()
    offer.reason = reason
    offer.save(update_fields=["status", "responded_at", "reason"])


def withdraw_open_offers(*, order: Order, reason: str) -> None:
    """Withdraw the order's pending offer, if any (locked first)."""
    for pending in Offer.objects.select_for_update().filter(
        order=order, status=OfferStatus.PENDING
    ):
        close_offer(pending, OfferStatus.WITHDRAWN, reason)


def withdraw_offers_of_provider(*, provider: Provider) -> int:
    """The provider may no longer take jobs (suspended, removed...): their pending offers are
    withdrawn and the orders passed on at once, not when the offers expire. Runs in the
    transaction that changed the provider's status (its row is locked there first, as
    `accept_offer` locks it). Returns how many offers were withdrawn."""
    pending = Offer.objects.select_for_update().filter(
        provider=provider, status=OfferStatus.PENDING
    )
    withdrawn = 0
    for offer in pending.select_related("order"):
        close_offer(
            offer, OfferStatus.WITHDRAWN, gettext_noop("The provider can no longer take jobs.")
        )
        order_lifecycle.reopen_for_matching(
            order=offer.order,
            actor=None,
            reason=gettext_noop("The provider can no longer take jobs"),
        )
        withdrawn += 1
    return withdrawn


def _locked_pending_offer(offer: Offer, provider: Provider) -> Offer:
    locked = Offer.objects.select_for_update().select_related("order").get(pk=offer.pk)
    if locked.provider_id != provider.pk:
        raise OfferError(_("This offer was made to someone else."))
    if locked.status != OfferStatus.PENDING:
        raise OfferError(_("This offer is no longer open."))
    return locked


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
    close_offer(offer, OfferStatus.ACCEPTED)
    # The provider's other offers at the same time can no longer be kept: pass them on.
    clashing = Offer.objects.select_for_update().filter(
        provider=provider,
        status=OfferStatus.PENDING,
        order__starts_at__lt=offer.order.ends_at,
        order__ends_at__gt=offer.order.starts_at,
    )
    for other in clashing.select_related("order"):
        close_offer(
            other, OfferStatus.WITHDRAWN, gettext_noop("The provider took another job then.")
        )
        order_lifecycle.reopen_for_matching(
            order=other.order, actor=None, reason=gettext_noop("The provider became busy")
        )
    after_commit(tell_customer, offer.order_id, "confirmed")
    return offer


@transaction.atomic
def decline_offer(*, offer: Offer, provider: Provider, reason: str = "") -> Offer:
    """Refuse the offer; the order goes to the next candidate, never back to this provider."""
    offer = _locked_pending_offer(offer, provider)
    close_offer(offer, OfferStatus.DECLINED, reason.strip())
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
            close_offer(offer, OfferStatus.EXPIRED, gettext_noop("No answer in time"))
            order_lifecycle.reopen_for_matching(
                order=offer.order, actor=None, reason=gettext_noop("The offer expired unanswered")
            )
            expired += 1
    return expired
