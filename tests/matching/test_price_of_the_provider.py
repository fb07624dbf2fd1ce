"""The price shown is the price charged (issue 11, item 1; R-ORD-2, R-MAT-2).

The customer pays the price of the provider who does the job: a recommendation card shows it
with its reason, choosing that provider prices the order in the same transaction, and the offer
on the provider's dashboard, the order page, the API, the contract and the messages show it. An
order matched automatically is priced for the provider it is offered to, and again for whoever
accepts it.
"""

from datetime import time, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from matching import requests, services
from matching.models import Offer, OfferStatus
from orders.models import Order
from orders.services import contracts, lifecycle
from orders.services.booking import BookingRequest, book_order, check_booking
from providers.models import ProviderTier
from tests.factories import ProviderFactory

pytestmark = pytest.mark.django_db

BASE = Decimal("3700000")
EXPERIENCED = Decimal("4255000")  # the work x1.15
EXPERT = Decimal("4810000")  # the work x1.3


@pytest.fixture
def book(customer, service, area, django_capture_on_commit_callbacks):
    def make(channel="web"):
        request = BookingRequest(
            service_type=service,
            area=area,
            address="1 Main St",
            day=timezone.localdate() + timedelta(days=1),
            start=time(10),
            home_area_sqm=80,
        )
        with django_capture_on_commit_callbacks(execute=True):
            order = book_order(customer=customer, booking=check_booking(request), channel=channel)
        return Order.objects.get(pk=order.pk)

    return make


def money(amount):
    return f"{amount:,.0f} IRR"


@pytest.mark.requirement("R-ORD-2", "R-MAT-2")
def test_choosing_an_experienced_provider_charges_the_price_on_their_card_everywhere(
    customer,
    customer_client,
    book,
    settings,
    sms_outbox,
    django_capture_on_commit_callbacks,
):
    settings.MATCHING_MODE = "recommend"
    experienced = ProviderFactory(
        tier=ProviderTier.EXPERIENCED, rating_average=5.0, rating_count=40
    )
    order = book()
    assert order.price == BASE
    cards = customer_client.get(reverse("matching:choose", args=[order.pk])).content.decode()
    assert money(EXPERIENCED) in cards
    assert "Provider tier: Experienced (\u00d71.15)" in cards  # the price with its reason

    with django_capture_on_commit_callbacks(execute=True):
        requests.choose_provider(order=order, provider_id=experienced.pk, customer=customer)
    order.refresh_from_db()
    assert order.price == EXPERIENCED  # priced in the transaction of the choice
    offer = Offer.objects.get(order=order)
    offer_text = [m["text"] for m in sms_outbox if m["to"] == str(experienced.user.phone)]
    assert any(money(EXPERIENCED) in text for text in offer_text)

    provider_client = customer_client.__class__()
    provider_client.force_login(experienced.user)
    dashboard = provider_client.get(reverse("matching:dashboard")).content.decode()
    assert money(EXPERIENCED) in dashboard and money(BASE) not in dashboard

    services.accept_offer(offer=offer, provider=experienced)
    order.refresh_from_db()
    assert order.price == EXPERIENCED
    assert contracts.current_contract(order).price == EXPERIENCED
    page = customer_client.get(reverse("orders:detail", args=[order.pk])).content.decode()
    assert money(EXPERIENCED) in page
    api = APIClient()
    api.force_authenticate(customer)
    detail = api.get(reverse("api:order", args=[order.pk])).json()
    assert Decimal(detail["price"]) == EXPERIENCED
    assert any(line["kind"] == "tier" for line in detail["price_lines"])


@pytest.mark.requirement("R-ORD-2", "R-MAT-3")
def test_an_order_matched_automatically_is_priced_for_whoever_is_offered_and_accepts(
    book, settings, django_capture_on_commit_callbacks
):
    settings.MATCHING_MODE = "auto"
    expert = ProviderFactory(tier=ProviderTier.EXPERT, rating_average=5.0, rating_count=40)
    standard = ProviderFactory(tier=ProviderTier.STANDARD, rating_average=3.5, rating_count=40)
    order = book(channel="phone")
    offer = Offer.objects.get(order=order, status=OfferStatus.PENDING)
    assert offer.provider == expert
    order.refresh_from_db()
    assert order.price == EXPERT
    with django_capture_on_commit_callbacks(execute=True):
        services.decline_offer(offer=offer, provider=expert, reason="Busy")
    second = Offer.objects.get(order=order, status=OfferStatus.PENDING)
    assert second.provider == standard
    order.refresh_from_db()
    assert order.price == BASE  # priced again for the provider offered now
    services.accept_offer(offer=second, provider=standard)
    order.refresh_from_db()
    assert order.price == BASE
    assert contracts.current_contract(order).price == BASE
    assert order.events.filter(reason=lifecycle.REPRICED_REASON).count() == 2


@pytest.mark.requirement("R-ORD-2")
def test_a_guarantee_redo_stays_free_whoever_takes_it(book, operator, settings):
    settings.MATCHING_MODE = "auto"
    expert = ProviderFactory(tier=ProviderTier.EXPERT)
    order = book(channel="phone")
    order = Order.objects.get(pk=order.pk)
    Order.objects.filter(pk=order.pk).update(channel="guarantee", price=Decimal("0"))
    order.refresh_from_db()
    lifecycle.reprice_for_provider(order=order, provider=expert, actor=operator)
    order.refresh_from_db()
    assert order.price == Decimal("0")
