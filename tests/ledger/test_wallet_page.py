"""The customer's balance page (R-PAY-3): every movement in their language, only their own."""

from decimal import Decimal

import pytest
from django.urls import reverse

from ledger.models import Cause
from ledger.services.wallet import charge_fee, credit_wallet
from tests.factories import OrderFactory

pytestmark = [pytest.mark.django_db, pytest.mark.requirement("R-PAY-3")]


@pytest.fixture
def movements(customer, other_customer):
    order = OrderFactory(customer=customer)
    credit_wallet(
        customer=customer,
        amount=Decimal("500000"),
        currency="IRR",
        memo="Guarantee compensation",
        cause=Cause.ORDER,
        cause_id=order.pk,
    )
    charge_fee(
        customer=customer,
        amount=Decimal("120000"),
        currency="IRR",
        memo="Late cancellation fee",
        cause=Cause.ORDER,
        cause_id=order.pk,
    )
    credit_wallet(
        customer=other_customer,
        amount=Decimal("999000"),
        currency="IRR",
        memo="Guarantee compensation",
        cause=Cause.ORDER,
    )
    return order


def test_the_customer_sees_each_movement_and_the_balance(customer_client, movements):
    page = customer_client.get(reverse("ledger:wallet")).content.decode()
    assert "Your balance: 380,000 IRR" in page
    assert "Guarantee compensation" in page and "Late cancellation fee" in page
    assert reverse("orders:detail", args=[movements.pk]) in page
    assert "999,000" not in page  # another customer's credit


def test_the_page_speaks_the_customers_language(customer_client, movements):
    customer_client.cookies["django_language"] = "ru"
    page = customer_client.get(reverse("ledger:wallet"), HTTP_ACCEPT_LANGUAGE="ru").content
    text = page.decode()
    assert "Guarantee compensation" not in text
    assert "Мой баланс" in text


def test_an_empty_wallet_says_so(customer_client):
    page = customer_client.get(reverse("ledger:wallet")).content.decode()
    assert "Nothing has moved on your balance yet." in page


def test_the_order_list_links_to_the_balance_page(customer_client, movements):
    page = customer_client.get(reverse("orders:list")).content.decode()
    assert reverse("ledger:wallet") in page


def test_the_page_costs_the_same_queries_for_many_movements(
    customer, customer_client, django_assert_max_num_queries
):
    for _ in range(30):
        credit_wallet(
            customer=customer, amount=Decimal("1"), currency="IRR", memo="x", cause="order"
        )
    with django_assert_max_num_queries(8):
        response = customer_client.get(reverse("ledger:wallet"))
    assert response.status_code == 200
    assert "?page=2" in response.content.decode()
