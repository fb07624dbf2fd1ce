from django.dispatch import receiver

from orders.signals import order_requested
from providers.selectors import matching_statuses
from providers.signals import provider_status_changed

from .services.offers import withdraw_offers_of_provider
from .tasks import enqueue_match


@receiver(order_requested, dispatch_uid="matching.match_on_commit")
def match_on_commit(sender, order, **kwargs):
    # Matching never runs in the web request's transaction: only once the order is committed
    # (the outbox's row is written in it, so the match is never lost).
    enqueue_match(order.pk)


@receiver(provider_status_changed, dispatch_uid="matching.pass_on_offers_of_unbookable")
def pass_on_offers(sender, provider, to_status, **kwargs):
    # A provider matching no longer looks for keeps no offer: the orders go on at once.
    if to_status not in matching_statuses():
        withdraw_offers_of_provider(provider=provider)
