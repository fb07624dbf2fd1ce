"""Refunds (R-PAY-3): a cancelled, paid order goes back the way it was paid, less the fee; a
refund is never above what was paid; refunds get receipts (R-PAY-5)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from ledger.models import AccountKind, Cause, LedgerAccount
from ledger.selectors import balance
from ledger.services.wallet import credit_wallet
from orders.models import OrderStatus
from orders.services import lifecycle
from payments.gateways import sandbox
from payments.models import (
    PaymentStatus,
    Receipt,
    RefundDestination,
    RefundStatus,
    SandboxCharge,
)
from payments.services import checkout
from payments.services.refunds import RefundError, refund_payment
from tests.factories import OrderFactory, ProviderFactory

pytestmark = [pytest.mark.django_db, pytest.mark.requirement("R-PAY-3")]

PRICE_MINOR = 370000000


def _account(kind, holder=None):
    return LedgerAccount.objects.get(kind=kind, holder=holder, currency="IRR")


def paid(order, *, wallet: Decimal = Decimal(0)):
    """The order paid: `wallet` from the wallet, the rest by the sandbox's card."""
    if wallet:
        credit_wallet(
            customer=order.customer,
            amount=wallet,
            currency="IRR",
            memo="Credit",
            cause=Cause.ADJUSTMENT,
        )
    payment = checkout.start_payment(order=order, customer=order.customer)
    if payment.gateway_amount:
        payment = checkout.send_to_gateway(payment, return_url="http://x/r", callback_url="")
        sandbox.SandboxGateway.pay(
            SandboxCharge.objects.get(charge_id=payment.gateway_reference), sandbox.PAYING_CARD
        )
        payment = checkout.recheck_payment(payment)
    assert payment.status == PaymentStatus.SUCCEEDED
    return payment


def test_a_free_cancellation_refunds_the_card_and_the_wallet_their_parts(
    customer, django_capture_on_commit_callbacks
):
    order = OrderFactory(customer=customer)
    payment = paid(order, wallet=Decimal("1000000"))
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.cancel_order(order=order, actor=customer, reason="Plans changed")
    refunds = {r.destination: r for r in payment.refunds.all()}
    assert refunds[RefundDestination.GATEWAY].amount == 270000000
    assert refunds[RefundDestination.WALLET].amount == 100000000
    assert all(r.status == RefundStatus.SUCCEEDED for r in refunds.values())
    assert SandboxCharge.objects.get().refunded_amount == 270000000
    assert balance(_account(AccountKind.CUSTOMER_WALLET, customer)) == 100000000
    assert balance(_account(AccountKind.CUSTOMER_ORDERS, customer)) == 0
    assert balance(_account(AccountKind.GATEWAY_CLEARING)) == 0
    assert Receipt.objects.filter(refund__payment=payment).count() == 2
    payment.refresh_from_db()
    assert payment.refundable_amount == 0


def test_a_late_cancellation_keeps_the_fee_and_refunds_the_rest(
    customer, provider, django_capture_on_commit_callbacks
):
    order = OrderFactory(
        customer=customer,
        provider=provider,
        status=OrderStatus.CONFIRMED,
        starts_at=timezone.now() + timedelta(hours=3),
        ends_at=timezone.now() + timedelta(hours=5),
    )
    payment = paid(order)
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.cancel_order(order=order, actor=customer, reason="Plans changed")
    fee = 111000000  # 30 % of 3,700,000 in minor units
    refund = payment.refunds.get()
    assert refund.amount == PRICE_MINOR - fee and refund.destination == RefundDestination.GATEWAY
    payment.refresh_from_db()
    assert payment.retained_amount == fee and payment.refundable_amount == 0
    # The fee is collected, not owed: nothing is due at the next payment.
    assert balance(_account(AccountKind.CUSTOMER_DUE, customer)) == 0
    assert balance(_account(AccountKind.REVENUE)) == fee
    assert balance(_account(AccountKind.CUSTOMER_ORDERS, customer)) == 0


def test_cancelling_twice_cannot_refund_twice(customer, django_capture_on_commit_callbacks):
    order = OrderFactory(customer=customer)
    payment = paid(order)
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.cancel_order(order=order, actor=customer, reason="Plans changed")
    from payments.services.cancellation import refund_cancelled_order

    with django_capture_on_commit_callbacks(execute=True):
        refund_cancelled_order(order, actor=customer)
    assert payment.refunds.count() == 1
    assert SandboxCharge.objects.get().refunded_amount == PRICE_MINOR


def test_a_refund_is_never_above_what_was_paid(customer, operator):
    payment = paid(OrderFactory(customer=customer))
    with pytest.raises(RefundError, match="can still be refunded"):
        refund_payment(
            payment=payment,
            amount=PRICE_MINOR + 1,
            destination="wallet",
            reason="Goodwill",
            actor=operator,
        )
    refund_payment(
        payment=payment,
        amount=PRICE_MINOR - 1,
        destination="wallet",
        reason="Goodwill",
        actor=operator,
    )
    with pytest.raises(RefundError, match="can still be refunded"):
        refund_payment(
            payment=payment, amount=2, destination="wallet", reason="Goodwill", actor=operator
        )
    payment.refresh_from_db()
    assert payment.refunded_amount == PRICE_MINOR - 1


def test_the_card_gets_back_at_most_what_it_paid(customer, operator):
    payment = paid(OrderFactory(customer=customer), wallet=Decimal("1000000"))
    with pytest.raises(RefundError, match="go back to the card"):
        refund_payment(
            payment=payment,
            amount=PRICE_MINOR,
            destination="gateway",
            reason="Goodwill",
            actor=operator,
        )


def test_a_refund_needs_a_reason_and_a_paid_payment(customer, operator):
    payment = paid(OrderFactory(customer=customer))
    with pytest.raises(RefundError, match="Say why"):
        refund_payment(payment=payment, amount=1, destination="wallet", reason=" ", actor=operator)
    open_payment = checkout.start_payment(order=OrderFactory(customer=customer), customer=customer)
    with pytest.raises(RefundError, match="Only a paid payment"):
        refund_payment(
            payment=open_payment, amount=1, destination="wallet", reason="x", actor=operator
        )


def test_a_refund_the_gateway_refuses_is_released(
    customer, operator, django_capture_on_commit_callbacks
):
    payment = paid(OrderFactory(customer=customer))
    # The gateway's side already refunded it all (by its own panel): it refuses ours.
    SandboxCharge.objects.update(refunded_amount=PRICE_MINOR)
    with django_capture_on_commit_callbacks(execute=True):
        refund = refund_payment(
            payment=payment,
            amount=1000,
            destination="gateway",
            reason="Goodwill",
            actor=operator,
        )
    refund.refresh_from_db()
    payment.refresh_from_db()
    assert refund.status == RefundStatus.FAILED
    assert payment.refunded_amount == 0
    assert not Receipt.objects.filter(refund=refund).exists()


def test_a_refund_after_the_job_was_charged_is_the_platforms_cost(
    customer, operator, django_capture_on_commit_callbacks
):
    provider = ProviderFactory()
    order = OrderFactory(
        customer=customer,
        provider=provider,
        status=OrderStatus.COMPLETED,
        completed_at=timezone.now(),
    )
    payment = paid(order)
    from orders.signals import order_completed

    order_completed.send(sender=type(order), order=order)
    refund_payment(
        payment=payment,
        amount=50000000,
        destination="wallet",
        reason="Stain left",
        actor=operator,
    )
    assert balance(_account(AccountKind.REFUNDS)) == -50000000
    assert balance(_account(AccountKind.CUSTOMER_WALLET, customer)) == 50000000
