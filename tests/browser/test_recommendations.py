"""The customer chooses a provider among recommendations in a real browser (R-MAT-2): three
with their reasons, "show me others" brings three others, the customer picks one, and the chosen
provider accepts the offer on their dashboard (R-MAT-3)."""

from datetime import time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from matching.models import Offer, Recommendation, RecommendationStatus
from orders.models import Order, OrderStatus
from orders.services.booking import BookingRequest, book_order, check_booking

from ..factories import AreaFactory, CustomerFactory, ProviderFactory, ServiceTypeFactory
from .test_journey import horizontal_overflow, log_in, record_failures

pytestmark = pytest.mark.browser

NAMES = ["Maryam", "Elena", "Zahra", "Leila", "Nasrin", "Parisa", "Shirin"]


@pytest.mark.requirement("R-MAT-2", "R-MAT-3")
def test_customer_sees_three_asks_for_others_picks_one_and_the_provider_accepts(
    transactional_db, live_server, new_context, screenshot_dir, settings
):
    settings.MATCHING_MODE = "recommend"
    service = ServiceTypeFactory()
    area = AreaFactory()
    providers = [
        ProviderFactory(
            user__phone=f"+98912888{i:04d}",
            user__full_name=f"{name} Provider",
            rating_average=round(4.9 - 0.1 * i, 1),
            rating_count=30 - i,
            recent_reviews=[{"text": f"{name} was wonderful", "score": 5.0, "at": "2026-01-01"}],
        )
        for i, name in enumerate(NAMES)
    ]
    customer = CustomerFactory(phone="+989125550199", full_name="Sara Customer")
    # Booked as the web form does; the match task runs (eagerly) once the booking commits.
    order = book_order(
        customer=customer,
        booking=check_booking(
            BookingRequest(
                service_type=service,
                area=area,
                address="12 Valiasr Street",
                day=timezone.localdate() + timedelta(days=1),
                start=time(10),
                home_area_sqm=80,
            )
        ),
    )
    assert Recommendation.objects.filter(order=order).count() == 3

    page = new_context(mobile=True).new_page()
    problems = record_failures(page)
    log_in(page, "09125550199")
    page.goto(f"/orders/{order.pk}/")
    page.get_by_role("button", name="Choose your provider").click()  # <a role=button>
    page.wait_for_url(f"**/matching/orders/{order.pk}/choose/")

    cards = page.locator("#recommendations article.recommendation")
    expect(cards).to_have_count(3)
    expect(cards.nth(0)).to_contain_text("Maryam")
    expect(cards.nth(0)).to_contain_text("4.9 rating (30 reviews)")
    expect(cards.nth(0)).to_contain_text("top-rated provider")
    expect(cards.nth(0)).to_contain_text("3,700,000 IRR")
    expect(cards.nth(2)).to_contain_text("Zahra")
    assert horizontal_overflow(page) <= 0
    page.screenshot(path=screenshot_dir / "20-recommendations.png", full_page=True)

    page.get_by_role("button", name="Show me others").click()
    expect(cards).to_have_count(3)
    expect(cards.nth(0)).to_contain_text("Leila")
    expect(cards.nth(2)).to_contain_text("Parisa")
    expect(page.locator("#recommendations")).not_to_contain_text("Maryam")
    cards.nth(1).locator("details summary").click()
    expect(cards.nth(1)).to_contain_text("Nasrin was wonderful")
    page.screenshot(path=screenshot_dir / "21-recommendations-others.png", full_page=True)

    page.get_by_role("button", name="Choose Nasrin").click()
    page.wait_for_url(f"**/orders/{order.pk}/")
    expect(page.locator("#order-status")).to_have_text("Offered to a provider")
    passed = Recommendation.objects.filter(order=order, status=RecommendationStatus.PASSED)
    assert passed.count() == 5
    assert Offer.objects.get(order=order).provider == providers[4]

    provider_page = new_context(mobile=True).new_page()
    provider_problems = record_failures(provider_page)
    log_in(provider_page, "09128880004")
    provider_page.wait_for_url("**/provider/")
    offer = provider_page.locator("#offers article.offer")
    expect(offer).to_have_count(1)
    offer.get_by_role("button", name="Accept").click()
    expect(provider_page.locator("#upcoming article.job")).to_have_count(1)

    order = Order.objects.get(pk=order.pk)
    assert (order.status, order.provider) == (OrderStatus.CONFIRMED, providers[4])
    page.reload()
    expect(page.locator("#order-status")).to_have_text("Confirmed")
    assert problems == []
    assert provider_problems == []
