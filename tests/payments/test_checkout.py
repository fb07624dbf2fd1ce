"""Paying for an order through the sandbox gateway (R-PAY-2), with the wallet first (R-PAY-3),
and the receipts it gives (R-PAY-5)."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from ledger.models import AccountKind, Cause, JournalEntry, LedgerAccount
from ledger.selectors import balance
from ledger.services.wallet import charge_fee, credit_wallet
from orders.models import PaymentTiming
from payments.gateways import sandbox
from payments.models import Payment, PaymentStatus, Receipt, SandboxCharge
from payments.services import checkout
from tests.factories import OrderFactory

pytestmark = [pytest.mark.django_db]

PRICE = Decimal("3700000")  # IRR, OrderFactory's price
PRICE_MINOR = 370000000


def _account(kind, holder=None):
    return LedgerAccount.objects.get(kind=kind, holder=holder, currency="IRR")


def _pay_page(client, order):
    return client.get(reverse("payments:pay", args=[order.pk]))


def _start(client, order):
    response = client.post(reverse("payments:pay", args=[order.pk]))
    assert response.status_code == 302, response.content
    return response["Location"]


def _card(client, card_url, number=sandbox.PAYING_CARD, capture=None):
    data = {"number": number, "expiry": "12/30", "cvc": "123"}
    if capture is None:
        return client.post(card_url, data)
    with capture(execute=True):
        return client.post(card_url, data)


@pytest.fixture
def order(customer):
    return OrderFactory(customer=customer)


@pytest.mark.requirement("R-PAY-2", "R-PAY-5")
def test_a_customer_pays_on_the_sandbox_card_page_and_gets_one_receipt(
    customer_client, order, django_capture_on_commit_callbacks
):
    page = _pay_page(customer_client, order).content.decode()
    assert "3,700,000" in page and "Continue to payment" in page
    card_url = _start(customer_client, order)
    payment = Payment.objects.get(order=order)
    assert card_url == reverse("payments:sandbox_card", args=[payment.gateway_reference])
    assert payment.status == PaymentStatus.PENDING
    assert payment.gateway_amount == PRICE_MINOR and payment.wallet_amount == 0

    back = _card(customer_client, card_url, capture=django_capture_on_commit_callbacks)
    assert back.status_code == 302 and "/money/payments/sandbox/return/" in back["Location"]
    # The callback settled it; the customer's return finds it settled and changes nothing.
    followed = customer_client.get(back["Location"], follow=True)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.gateway_details == {"card": "•••• 4242"}
    assert "Payment received" in followed.content.decode()
    receipt = Receipt.objects.get()
    assert receipt.payment == payment and receipt.amount == PRICE_MINOR
    assert f"Receipt {receipt.display_number}" in followed.content.decode()
    assert balance(_account(AccountKind.CUSTOMER_ORDERS, order.customer)) == PRICE_MINOR
    assert balance(_account(AccountKind.GATEWAY_CLEARING)) == -PRICE_MINOR
    assert JournalEntry.objects.filter(cause=Cause.PAYMENT, cause_id=payment.pk).count() == 1
    # Nothing is left to pay.
    assert checkout.amount_due(order).order_amount == 0
    assert (
        "Pay "
        not in customer_client.get(reverse("orders:detail", args=[order.pk])).content.decode()
    )


@pytest.mark.requirement("R-PAY-2")
def test_the_amount_comes_from_the_order_not_the_request(customer_client, order):
    response = customer_client.post(
        reverse("payments:pay", args=[order.pk]), {"amount": "1", "gateway_amount": "1"}
    )
    assert response.status_code == 302
    payment = Payment.objects.get(order=order)
    assert payment.amount == PRICE_MINOR
    assert SandboxCharge.objects.get(charge_id=payment.gateway_reference).amount == PRICE_MINOR


@pytest.mark.requirement("R-PAY-2")
def test_a_declined_card_fails_the_payment_and_the_customer_can_try_again(
    customer_client, order, django_capture_on_commit_callbacks
):
    card_url = _start(customer_client, order)
    back = _card(
        customer_client, card_url, sandbox.DECLINED_CARD, capture=django_capture_on_commit_callbacks
    )
    page = customer_client.get(back["Location"], follow=True).content.decode()
    assert "did not go through" in page
    assert Payment.objects.get(order=order).status == PaymentStatus.FAILED
    assert not Receipt.objects.exists()
    # A second attempt is a new payment.
    _start(customer_client, order)
    assert Payment.objects.filter(order=order, status=PaymentStatus.PENDING).count() == 1


def test_a_bad_card_number_is_refused_on_the_card_page(customer_client, order):
    card_url = _start(customer_client, order)
    response = _card(customer_client, card_url, "4242424242424241")
    assert response.status_code == 200
    assert "not a valid card number" in response.content.decode()
    assert SandboxCharge.objects.get().state == SandboxCharge.State.OPEN


def _signed_post(client, body: bytes, signature: str | None = None):
    return client.post(
        reverse("payments:callback", args=["sandbox"]),
        body,
        content_type="application/json",
        headers={sandbox.SIGNATURE_HEADER: signature or sandbox.sign(body)},
    )


def _paid_charge(customer_client, order):
    _start(customer_client, order)
    payment = Payment.objects.get(order=order)
    charge = SandboxCharge.objects.get(charge_id=payment.gateway_reference)
    sandbox.SandboxGateway.pay(charge, sandbox.PAYING_CARD)
    charge.refresh_from_db()
    return payment, charge


@pytest.mark.requirement("R-PAY-2")
@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"amount": 1}, "amount"),
        ({"currency": "USD"}, "currency"),
        ({"merchant_reference": "P0000000000000000"}, "reference"),
        ({"charge_id": "sbx_unknown"}, "unknown"),
    ],
    ids=["amount", "currency", "our-reference", "unknown-payment"],
)
def test_a_callback_that_does_not_match_our_payment_is_refused(
    client, customer_client, order, change, code
):
    payment, charge = _paid_charge(customer_client, order)
    data = json.loads(sandbox.callback_body(charge)) | change
    response = _signed_post(client, json.dumps(data).encode())
    assert response.status_code == 400
    assert response.json()["code"] == code and response.json()["error"]
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    assert not JournalEntry.objects.filter(cause=Cause.PAYMENT).exists()


@pytest.mark.requirement("R-PAY-2")
def test_a_callback_with_a_wrong_signature_is_refused(client, customer_client, order):
    payment, charge = _paid_charge(customer_client, order)
    body = sandbox.callback_body(charge)
    response = _signed_post(client, body, signature="sha256=" + "0" * 64)
    assert response.status_code == 400 and response.json()["code"] == "signature"
    unsigned = client.post(
        reverse("payments:callback", args=["sandbox"]), body, content_type="application/json"
    )
    assert unsigned.status_code == 400
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING


@pytest.mark.requirement("R-PAY-2", "R-PAY-5")
def test_the_same_callback_twice_records_one_payment(client, customer_client, order):
    payment, charge = _paid_charge(customer_client, order)
    body = sandbox.callback_body(charge)
    first, second = _signed_post(client, body), _signed_post(client, body)
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json() == {"reference": payment.reference, "status": "succeeded"}
    assert Receipt.objects.count() == 1
    assert JournalEntry.objects.filter(cause=Cause.PAYMENT).count() == 1
    assert payment.events.filter(to_status=PaymentStatus.SUCCEEDED).count() == 1


@pytest.mark.requirement("R-PAY-3")
def test_the_wallet_is_spent_first_and_the_card_pays_the_rest(
    customer, customer_client, order, django_capture_on_commit_callbacks
):
    credit_wallet(
        customer=customer,
        amount=Decimal("1000000"),
        currency="IRR",
        memo="Credit",
        cause=Cause.ADJUSTMENT,
    )
    page = _pay_page(customer_client, order).content.decode()
    assert "From your wallet" in page and "2,700,000" in page
    card_url = _start(customer_client, order)
    payment = Payment.objects.get(order=order)
    assert (payment.wallet_amount, payment.gateway_amount) == (100000000, 270000000)
    wallet = _account(AccountKind.CUSTOMER_WALLET, customer)
    assert balance(wallet) == 0  # taken when the payment started
    _card(customer_client, card_url, capture=django_capture_on_commit_callbacks)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert balance(_account(AccountKind.CUSTOMER_ORDERS, customer)) == PRICE_MINOR
    assert Receipt.objects.get().amount == PRICE_MINOR


@pytest.mark.requirement("R-PAY-3")
def test_a_failed_payment_gives_the_wallets_part_back(
    customer, customer_client, order, django_capture_on_commit_callbacks
):
    credit_wallet(
        customer=customer,
        amount=Decimal("1000000"),
        currency="IRR",
        memo="Credit",
        cause=Cause.ADJUSTMENT,
    )
    card_url = _start(customer_client, order)
    _card(
        customer_client, card_url, sandbox.DECLINED_CARD, capture=django_capture_on_commit_callbacks
    )
    assert balance(_account(AccountKind.CUSTOMER_WALLET, customer)) == 100000000
    assert balance(_account(AccountKind.CUSTOMER_ORDERS, customer)) == 0


@pytest.mark.requirement("R-PAY-3", "R-PAY-5")
def test_a_wallet_that_covers_the_order_pays_it_without_the_gateway(
    customer, customer_client, order
):
    credit_wallet(
        customer=customer,
        amount=Decimal("5000000"),
        currency="IRR",
        memo="Credit",
        cause=Cause.ADJUSTMENT,
    )
    response = customer_client.post(reverse("payments:pay", args=[order.pk]), follow=True)
    assert "Paid from your wallet" in response.content.decode()
    payment = Payment.objects.get(order=order)
    assert payment.status == PaymentStatus.SUCCEEDED and payment.gateway == "wallet"
    assert balance(_account(AccountKind.CUSTOMER_WALLET, customer)) == 130000000
    assert not SandboxCharge.objects.exists()
    assert Receipt.objects.get().payment == payment


@pytest.mark.requirement("R-PAY-3")
def test_fees_owed_are_collected_with_the_next_payment(customer, customer_client, order):
    charge_fee(
        customer=customer,
        amount=Decimal("120000"),
        currency="IRR",
        memo="Late cancellation fee",
        cause=Cause.ORDER,
    )
    assert "Fees you owe" in _pay_page(customer_client, order).content.decode()
    _start(customer_client, order)
    payment = Payment.objects.get(order=order)
    assert (payment.order_amount, payment.fees_amount) == (PRICE_MINOR, 12000000)
    charge = SandboxCharge.objects.get()
    sandbox.SandboxGateway.pay(charge, sandbox.PAYING_CARD)
    checkout.recheck_payment(payment)
    assert balance(_account(AccountKind.CUSTOMER_DUE, customer)) == 0
    assert balance(_account(AccountKind.CUSTOMER_ORDERS, customer)) == PRICE_MINOR


@pytest.mark.requirement("R-PAY-2")
def test_a_service_paid_after_completion_is_payable_only_once_done(customer, customer_client):
    order = OrderFactory(
        customer=customer, service_type__payment_timing=PaymentTiming.AFTER_COMPLETION
    )
    page = _pay_page(customer_client, order).content.decode()
    assert "paid once the job is done" in page
    customer_client.post(reverse("payments:pay", args=[order.pk]))
    assert not Payment.objects.exists()


def test_another_customers_order_cannot_be_paid(client, other_customer, order):
    client.force_login(other_customer)
    assert _pay_page(client, order).status_code == 404
    assert client.post(reverse("payments:pay", args=[order.pk])).status_code == 404


@pytest.mark.requirement("R-PAY-2")
def test_a_paid_order_cannot_be_paid_again(customer_client, order):
    payment, _charge = _paid_charge(customer_client, order)
    checkout.recheck_payment(payment)
    response = customer_client.post(reverse("payments:pay", args=[order.pk]), follow=True)
    assert "This order is paid." in response.content.decode()
    assert Payment.objects.count() == 1


@pytest.mark.requirement("R-PAY-2")
def test_starting_again_resumes_the_unfinished_payment(customer_client, order):
    first = _start(customer_client, order)
    assert _start(customer_client, order) == first
    assert Payment.objects.count() == 1 and SandboxCharge.objects.count() == 1


@pytest.mark.requirement("R-PAY-2")
def test_the_recovery_sweep_settles_a_payment_whose_callback_was_lost(
    customer_client, order, settings
):
    card_url = _start(customer_client, order)
    lost = _card(customer_client, card_url, sandbox.LOST_CALLBACK_CARD)
    assert "shop was not told" in lost.content.decode()
    payment = Payment.objects.get(order=order)
    assert payment.status == PaymentStatus.PENDING
    from payments.tasks import sweep_payments

    assert sweep_payments() == 0  # too recent to ask about
    with time_machine.travel(
        timezone.now() + timedelta(minutes=settings.PAYMENT_RECHECK_AFTER_MINUTES + 1)
    ):
        assert sweep_payments() == 1
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert Receipt.objects.filter(payment=payment).count() == 1
    assert payment.events.filter(reason="Found by the payment check").exists()


@pytest.mark.requirement("R-PAY-2")
def test_the_sweep_cancels_a_payment_nobody_finished(customer, customer_client, order, settings):
    credit_wallet(
        customer=customer,
        amount=Decimal("100000"),
        currency="IRR",
        memo="Credit",
        cause=Cause.ADJUSTMENT,
    )
    _start(customer_client, order)
    from payments.tasks import sweep_payments

    with time_machine.travel(
        timezone.now() + timedelta(minutes=settings.PAYMENT_EXPIRES_AFTER_MINUTES + 1)
    ):
        sweep_payments()
    payment = Payment.objects.get(order=order)
    assert payment.status == PaymentStatus.CANCELLED
    assert balance(_account(AccountKind.CUSTOMER_WALLET, customer)) == 10000000  # given back


@pytest.mark.requirement("R-PAY-2")
def test_a_late_success_after_cancelling_is_kept_and_the_excess_goes_to_the_wallet(
    customer, customer_client, order, settings
):
    payment, charge = _paid_charge(customer_client, order)
    Payment.objects.filter(pk=payment.pk).update(status=PaymentStatus.CANCELLED)
    # The customer paid a second time meanwhile.
    order.refresh_from_db()
    second = checkout.start_payment(order=order, customer=customer)
    assert second.pk != payment.pk
    Payment.objects.filter(pk=second.pk).update(
        status=PaymentStatus.SUCCEEDED, settled_at=timezone.now()
    )
    body = sandbox.callback_body(charge)
    checkout.receive_callback("sandbox", body, {sandbox.SIGNATURE_HEADER: sandbox.sign(body)})
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.refunded_amount == PRICE_MINOR  # all of it back, to the wallet
    assert balance(_account(AccountKind.CUSTOMER_WALLET, customer)) == PRICE_MINOR
