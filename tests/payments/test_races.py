"""What happens at once happens once (R-PAY-2, R-PAY-5): a return and a callback racing settle
one payment; receipts numbered at once have no gap and no repeat. Real threads on the real
database."""

import pytest
from django.db import connections
from django.utils import timezone

from ledger.models import Cause, JournalEntry
from payments.gateways import sandbox
from payments.models import Payment, PaymentStatus, Receipt, SandboxCharge
from payments.services import checkout
from payments.services.receipts import issue_receipt
from tests.factories import CustomerFactory, OrderFactory
from tests.ledger.test_books import _concurrently

pytestmark = [pytest.mark.django_db(transaction=True)]


def _pending_paid_at_the_gateway(order) -> Payment:
    payment = checkout.start_payment(order=order, customer=order.customer)
    payment = checkout.send_to_gateway(payment, return_url="http://x/r", callback_url="")
    sandbox.SandboxGateway.pay(
        SandboxCharge.objects.get(charge_id=payment.gateway_reference), sandbox.PAYING_CARD
    )
    return payment


@pytest.mark.requirement("R-PAY-2", "R-PAY-5")
def test_a_return_and_a_callback_racing_record_one_payment():
    payment = _pending_paid_at_the_gateway(OrderFactory(customer=CustomerFactory()))
    charge = SandboxCharge.objects.get(charge_id=payment.gateway_reference)
    body = sandbox.callback_body(charge)
    headers = {sandbox.SIGNATURE_HEADER: sandbox.sign(body)}
    arrivals = iter(
        [
            lambda: checkout.receive_return("sandbox", {"charge": charge.charge_id}),
            lambda: checkout.receive_callback("sandbox", body, headers),
            lambda: checkout.receive_callback("sandbox", body, headers),
            lambda: checkout.receive_return("sandbox", {"charge": charge.charge_id}),
        ]
    )
    outcomes = _concurrently(lambda: next(arrivals)(), times=4)
    assert all(isinstance(outcome, Payment) for outcome in outcomes), outcomes
    assert {outcome.status for outcome in outcomes} == {PaymentStatus.SUCCEEDED}
    assert JournalEntry.objects.filter(cause=Cause.PAYMENT, cause_id=payment.pk).count() == 1
    assert Receipt.objects.filter(payment=payment).count() == 1
    assert payment.events.filter(to_status=PaymentStatus.SUCCEEDED).count() == 1


@pytest.mark.requirement("R-PAY-5")
def test_receipts_issued_at_once_are_numbered_without_gaps():
    customer = CustomerFactory()
    payments = []
    for _ in range(8):
        payment = checkout.start_payment(order=OrderFactory(customer=customer), customer=customer)
        Payment.objects.filter(pk=payment.pk).update(
            status=PaymentStatus.SUCCEEDED, settled_at=timezone.now()
        )
        payments.append(payment)
    queue = iter(payments)
    outcomes = _concurrently(lambda: issue_receipt(payment=next(queue)), times=8)
    connections.close_all()
    assert all(isinstance(outcome, Receipt) for outcome in outcomes), outcomes
    numbers = sorted(Receipt.objects.values_list("number", flat=True))
    assert numbers == list(range(1, 9))
