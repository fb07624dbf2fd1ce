"""An order cancelled after it was paid for (R-PAY-3): its unfinished payments are cancelled,
the cancellation fee is kept from what was paid, and the rest goes back the way it came."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext_noop

from ledger.models import Cause
from ledger.money import to_minor
from ledger.services.posting import Leg, post_entry

from ..models import PaymentStatus, Refund, RefundDestination
from .accounts import fees_account, orders_account
from .checkout import cancel_open_payments
from .refunds import gateway_refundable, refund_payment


@transaction.atomic
def refund_cancelled_order(order, *, actor) -> list[Refund]:
    """A cancelled order's payments go back: the cancellation fee (already charged by orders)
    is collected from what was paid ahead, the rest returns the way it came (the card's part to
    the card, the wallet's part to the wallet)."""
    cancel_open_payments(order, actor=actor)
    refunds: list[Refund] = []
    fee_left = to_minor(order.cancellation_fee or Decimal(0), order.currency)
    for payment in (
        order.payments.select_for_update().filter(status=PaymentStatus.SUCCEEDED).order_by("id")
    ):
        paid_for_order = min(payment.order_amount, payment.refundable_amount)
        fee = min(fee_left, paid_for_order)
        if fee:
            post_entry(
                legs=[
                    Leg(orders_account(payment.customer, payment.currency), -fee),
                    Leg(fees_account(payment.customer, payment.currency), fee),
                ],
                memo=gettext_noop("Cancellation fee taken from what was paid"),
                cause=Cause.ORDER,
                cause_id=order.pk,
                actor=actor,
                idempotency_key=f"payment:{payment.pk}:cancellation-fee",
            )
            payment.retained_amount += fee
            payment.save(update_fields=["retained_amount"])
            fee_left -= fee
        back = paid_for_order - fee
        to_card = min(back, gateway_refundable(payment))
        for destination, amount in (
            (RefundDestination.GATEWAY, to_card),
            (RefundDestination.WALLET, back - to_card),
        ):
            if amount > 0:
                refunds.append(
                    refund_payment(
                        payment=payment,
                        amount=amount,
                        destination=destination,
                        reason=gettext_noop("The order was cancelled"),
                        actor=actor,
                        idempotency_key=f"payment:{payment.pk}:cancelled:{destination}",
                    )
                )
    return refunds
