"""The mobile app pays (R-PAY-2) and reads its wallet (R-PAY-3) through the API."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from ledger.models import Cause
from ledger.services.wallet import charge_fee, credit_wallet
from payments.gateways import sandbox
from payments.models import Payment, SandboxCharge
from payments.services import checkout
from tests.factories import OrderFactory

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def api(customer):
    client = APIClient()
    client.force_authenticate(customer)
    return client


@pytest.mark.requirement("R-PAY-2", "R-PAY-5")
def test_the_app_starts_a_payment_follows_it_and_gets_the_receipt(api, customer):
    order = OrderFactory(customer=customer)
    started = api.post(f"/api/v1/orders/{order.pk}/payments", {"amount": "1"}, format="json")
    assert started.status_code == 201, started.content
    body = started.json()
    assert body["status"] == "pending" and body["amount"] == "3700000.00"
    assert body["gateway_amount"] == "3700000.00" and body["receipt_url"] == ""
    assert body["payment_url"].startswith("http://testserver/money/sandbox/pay/sbx_")
    payment = Payment.objects.get(reference=body["reference"])
    sandbox.SandboxGateway.pay(
        SandboxCharge.objects.get(charge_id=payment.gateway_reference), sandbox.PAYING_CARD
    )
    checkout.recheck_payment(payment)
    status = api.get(f"/api/v1/payments/{body['reference']}").json()
    assert status["status"] == "succeeded" and status["payment_url"] == ""
    assert status["receipt_url"].endswith(".pdf")
    again = api.post(f"/api/v1/orders/{order.pk}/payments", format="json")
    assert again.status_code == 400
    assert "This order is paid." in str(again.json()["errors"])


def test_another_customers_order_and_payment_are_not_found(api, other_customer):
    order = OrderFactory(customer=other_customer)
    assert api.post(f"/api/v1/orders/{order.pk}/payments", format="json").status_code == 404
    payment = checkout.start_payment(order=order, customer=other_customer)
    assert api.get(f"/api/v1/payments/{payment.reference}").status_code == 404


@pytest.mark.requirement("R-PAY-3")
def test_the_wallet_shows_credit_fees_owed_and_movements(api, customer, other_customer):
    credit_wallet(
        customer=customer,
        amount=Decimal("500000"),
        currency="IRR",
        memo="Guarantee compensation",
        cause=Cause.ORDER,
    )
    charge_fee(
        customer=customer,
        amount=Decimal("120000"),
        currency="IRR",
        memo="Late cancellation fee",
        cause=Cause.ORDER,
    )
    credit_wallet(
        customer=other_customer, amount=Decimal("9"), currency="IRR", memo="x", cause=Cause.ORDER
    )
    body = api.get("/api/v1/wallet").json()
    assert (body["balance"], body["owed"], body["count"]) == ("500000.00", "120000.00", 2)
    assert [line["what"] for line in body["results"]] == [
        "Late cancellation fee",
        "Guarantee compensation",
    ]
    assert body["results"][0]["amount"] == "-120000.00"


def test_the_api_needs_a_signed_in_customer(customer):
    client = APIClient()
    assert client.get("/api/v1/wallet").status_code == 401
