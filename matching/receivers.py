from django.db import transaction
from django.dispatch import receiver

from orders.signals import order_requested

from .tasks import enqueue_match


@receiver(order_requested, dispatch_uid="matching.match_on_commit")
def match_on_commit(sender, order, **kwargs):
    # Matching never runs in the web request's transaction: only once the order is committed.
    order_id = order.pk
    transaction.on_commit(lambda: enqueue_match(order_id))
