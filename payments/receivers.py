"""How payments hear about orders (orders may not import this layer): a completed job is
charged and its earnings shared out; a cancelled, paid order is refunded."""

from django.dispatch import receiver

from orders.signals import order_cancelled, order_completed

from .services.cancellation import refund_cancelled_order
from .services.earnings import charge_completed_job


@receiver(order_cancelled, dispatch_uid="payments_refund_cancelled_order")
def refund_when_cancelled(sender, order, actor=None, **kwargs):
    refund_cancelled_order(order, actor=actor)


@receiver(order_completed, dispatch_uid="payments_charge_completed_job")
def charge_when_completed(sender, order, **kwargs):
    # Sent inside the completing transaction, with the order row locked: the charge commits
    # (or not) with the completion.
    charge_completed_job(order=order)
