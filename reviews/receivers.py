from django.dispatch import receiver

from orders.signals import order_completed

from .tasks import enqueue_feedback_call


@receiver(order_completed, dispatch_uid="reviews.feedback_call_on_commit")
def feedback_call_on_commit(sender, order, **kwargs):
    # The task reads the completed-order count, so it runs once the completion is committed.
    enqueue_feedback_call(order.provider_id)
