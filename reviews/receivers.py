from django.db import transaction
from django.dispatch import receiver

from orders.signals import order_completed

from .tasks import enqueue_feedback_call


@receiver(order_completed, dispatch_uid="reviews.feedback_call_on_commit")
def feedback_call_on_commit(sender, order, **kwargs):
    # The task reads the completed-order count, so it runs once the completion is committed.
    provider_id = order.provider_id
    transaction.on_commit(lambda: enqueue_feedback_call(provider_id))
