"""Refunds (R-PAY-3): back to the card through the gateway, or to the customer's wallet, never
more than was paid and not yet refunded.

Where the money comes from in the books: a job not charged yet (cancelled before it was done)
gives back what the customer paid ahead (their orders account); after the job was charged the
refund is the platform's cost (the refunds account). A refund to the wallet is posted at once;
one through the gateway is reserved on the payment at once, sent to the gateway after the
commit (`send_refund`, retried), and posted when the gateway accepts it.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from core.outbox import after_commit
from ledger.models import AccountKind, Cause, LedgerAccount
from ledger.money import to_minor
from ledger.services.posting import Leg, platform, post_entry

from ..gateways import get_gateway
from ..models import Payment, PaymentStatus, Refund, RefundDestination, RefundStatus
from .accounts import is_job_charged, orders_account, wallet_account
from .receipts import issue_receipt


class RefundError(ValidationError):
    pass


def _source(payment: Payment) -> LedgerAccount:
    if is_job_charged(payment.order):
        return platform(AccountKind.REFUNDS, payment.currency)
    return orders_account(payment.customer, payment.currency)


def gateway_refundable(payment: Payment) -> int:
    """What can still go back to the card: the gateway's part less refunds sent there."""
    sent = (
        payment.refunds.filter(destination=RefundDestination.GATEWAY)
        .exclude(status=RefundStatus.FAILED)
        .aggregate(total=Sum("amount"))["total"]
    )
    return payment.gateway_amount - (sent or 0)


def refund_refusal(payment: Payment, amount: int, destination: str) -> str | None:
    if payment.status != PaymentStatus.SUCCEEDED:
        return _("Only a paid payment can be refunded.")
    if amount <= 0:
        return _("A refund must be above zero.")
    if amount > payment.refundable_amount:
        return _("At most %(amount)s (minor units) of this payment can still be refunded.") % {
            "amount": payment.refundable_amount
        }
    if destination == RefundDestination.GATEWAY and amount > gateway_refundable(payment):
        return _(
            "At most %(amount)s (minor units) can go back to the card; refund the rest to the "
            "wallet."
        ) % {"amount": gateway_refundable(payment)}
    if destination not in RefundDestination.values:
        return _("Choose where the refund goes.")
    return None


def refund_in_major_units(payment: Payment, *, actor, amount, destination: str, reason: str):
    """A refund as staff type it (an amount in the currency's units): the admin's action."""
    return refund_payment(
        payment=payment,
        amount=to_minor(amount, payment.currency),
        destination=destination,
        reason=reason,
        actor=actor,
    )


@transaction.atomic
def refund_payment(
    *,
    payment: Payment,
    amount: int,
    destination: str,
    reason: str,
    actor,
    idempotency_key: str | None = None,
) -> Refund:
    if idempotency_key:
        existing = Refund.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
    if not reason.strip():
        raise RefundError(_("Say why the payment is refunded."))
    payment = (
        Payment.objects.select_for_update().select_related("order", "customer").get(pk=payment.pk)
    )
    refusal = refund_refusal(payment, amount, destination)
    if refusal:
        raise RefundError(refusal)
    payment.refunded_amount += amount
    payment.save(update_fields=["refunded_amount"])
    refund = Refund.objects.create(
        payment=payment,
        amount=amount,
        currency=payment.currency,
        destination=destination,
        reason=reason.strip()[:300],
        created_by=actor if getattr(actor, "pk", None) else None,
        idempotency_key=idempotency_key,
    )
    if destination == RefundDestination.WALLET:
        _post(refund, to=wallet_account(payment.customer, payment.currency), actor=actor)
    else:
        after_commit(send_refund, refund.pk)
    return refund


def _post(refund: Refund, *, to: LedgerAccount, actor) -> None:
    payment = refund.payment
    post_entry(
        legs=[Leg(_source(payment), -refund.amount), Leg(to, refund.amount)],
        memo=refund.reason,
        cause=Cause.PAYMENT,
        cause_id=payment.pk,
        actor=actor,
        idempotency_key=f"refund:{refund.pk}",
    )
    refund.status = RefundStatus.SUCCEEDED
    refund.save(update_fields=["status", "gateway_reference"])
    issue_receipt(refund=refund)


def send_refund(refund_id: int) -> None:
    """Ask the gateway to refund (after the commit; a GatewayError is retried by the outbox),
    then post it; a refusal releases the amount on the payment."""
    refund = Refund.objects.select_related("payment").get(pk=refund_id)
    if refund.status != RefundStatus.PENDING:
        return
    result = get_gateway(refund.payment.gateway).refund(
        refund.payment, amount=refund.amount, reason=refund.reason
    )
    with transaction.atomic():
        refund = (
            Refund.objects.select_for_update().select_related("payment__order").get(pk=refund_id)
        )
        if refund.status != RefundStatus.PENDING:
            return
        if result.succeeded:
            refund.gateway_reference = result.gateway_reference
            clearing = platform(AccountKind.GATEWAY_CLEARING, refund.currency)
            _post(refund, to=clearing, actor=refund.created_by)
        else:
            payment = Payment.objects.select_for_update().get(pk=refund.payment_id)
            payment.refunded_amount -= refund.amount
            payment.save(update_fields=["refunded_amount"])
            refund.status = RefundStatus.FAILED
            refund.gateway_reference = result.message[:100]
            refund.save(update_fields=["status", "gateway_reference"])
