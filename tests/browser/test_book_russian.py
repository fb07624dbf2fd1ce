"""A customer reading Russian books a deep kitchen cleaning with two extras, sees the price
line by line, confirms, and signs the contract once a provider has accepted (R-ORD-2, R-ORD-4).
"""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone, translation
from playwright.sync_api import expect

from matching.models import Offer
from matching.services import accept_offer
from orders.models import Order, OrderStatus

from ..factories import AreaFactory, CustomerFactory, ProviderFactory, ServiceTypeFactory
from ..orders.catalogue_factories import ServiceOptionFactory, publish_version
from .conftest import MOBILE_VIEWPORT
from .test_journey import ORDER_URL, horizontal_overflow, log_in, record_failures

pytestmark = pytest.mark.browser

CUSTOMER_PHONE = "+989125550303"
CUSTOMER_PHONE_LOCAL = "0912 555 0303"
ADDRESS = "ул. Валиаср, 12, кв. 4"
# Russian groups thousands with no-break spaces: 4 350 000 риал.
TOTAL = re.compile(r"^4\s350\s000 риал$")


@pytest.mark.requirement("R-ORD-2", "R-ORD-4")
def test_a_russian_customer_books_deep_kitchen_cleaning_with_two_extras_and_signs(
    transactional_db, live_server, new_context, screenshot_dir, settings
):
    settings.MATCHING_MODE = "auto"  # the provider is offered the job at once
    kitchen = ServiceTypeFactory(code="deep-kitchen-cleaning", name="Deep kitchen cleaning")
    fridge = ServiceOptionFactory(
        service_type=kitchen, code="fridge", name="Inside the fridge", extra_minutes=30
    )
    oven = ServiceOptionFactory(
        service_type=kitchen, code="oven", name="Inside the oven", extra_minutes=30
    )
    ServiceOptionFactory(service_type=kitchen, code="windows", name="Windows", extra_minutes=45)
    # 500,000 + 40,000 per m²; the fridge 300,000, the oven 350,000, windows 400,000.
    publish_version(
        rules={},
        option_prices={kitchen: {"fridge": "300000", "oven": "350000", "windows": "400000"}},
    )
    area = AreaFactory()
    provider = ProviderFactory(user__full_name="Elena Provider")
    customer = CustomerFactory(
        phone=CUSTOMER_PHONE, full_name="Sara Customer", preferred_language="ru"
    )
    day = timezone.localdate() + timedelta(days=1)

    page = new_context().new_page()
    problems = record_failures(page)
    log_in(page, CUSTOMER_PHONE_LOCAL)
    page.goto("/orders/book/")
    with page.expect_navigation():
        page.locator("header select[name='language']").select_option("ru")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.locator("button[name='quote']")).to_have_text("Узнать цену")

    form = page.locator("main form")
    form.locator("select[name='service_type']").select_option(str(kitchen.pk))
    form.locator("select[name='area']").select_option(str(area.pk))
    form.locator("input[name='address']").fill(ADDRESS)
    form.locator("input[name='day']").fill(day.isoformat())
    form.locator("input[name='home_area_sqm']").fill("80")
    form.locator(f"input[name='options'][value='{fridge.pk}']").check()
    form.locator(f"input[name='options'][value='{oven.pk}']").check()
    # Only this service's extras are offered, each with its price in roubles... or rials here.
    expect(form.locator("input[name='options']:visible")).to_have_count(3)
    page.wait_for_load_state("networkidle")
    # Three hours with the extras: the start times reloaded for that length (htmx).
    form.locator("select[name='start']").select_option("10:00")
    page.screenshot(path=screenshot_dir / "ru-1-booking.png", full_page=True)
    form.locator("button[name='quote']").click()

    breakdown = page.locator("#price-breakdown")
    expect(breakdown.locator("tbody tr")).to_have_count(3)  # the service, the two extras
    expect(breakdown.locator("tbody tr").nth(0).locator("td")).to_have_text(
        re.compile(r"^3\s700\s000 риал$")
    )
    expect(breakdown.locator("tbody tr").nth(1).locator("td")).to_have_text(
        re.compile(r"^300\s000 риал$")
    )
    expect(page.locator("#quoted-price")).to_have_text(TOTAL)
    assert horizontal_overflow(page) <= 0
    assert not Order.objects.exists(), "seeing the price must not book"
    page.screenshot(path=screenshot_dir / "ru-2-price.png", full_page=True)

    page.locator("button[name='confirm']").click()
    page.wait_for_url(ORDER_URL)
    order = Order.objects.get(customer=customer)
    assert order.price == Decimal("4350000")
    assert order.duration == timedelta(hours=3)
    assert sorted(order.options.values_list("option__code", flat=True)) == ["fridge", "oven"]
    expect(page.locator("#price-breakdown #quoted-price")).to_have_text(TOTAL)

    # The provider accepts the offer (matching's service, as the offer button does).
    offer = Offer.objects.get(order=order, provider=provider, status="pending")
    accept_offer(offer=offer, provider=provider)
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED

    page.reload()
    page.get_by_role("button", name="Прочитать и подписать договор").click()  # <a role=button>
    page.wait_for_url(f"**/orders/{order.pk}/contract/")
    text = page.locator("#contract-text")
    expect(text).to_contain_text("Договор оказания услуг по заказу №")
    expect(text).to_contain_text(ADDRESS)
    with translation.override("ru"):
        fridge_name = translation.gettext(fridge.name)
    expect(text).to_contain_text(fridge_name)
    expect(text).to_contain_text(re.compile(r"Цена услуги составляет 4\s350\s000 риал"))
    sign_form = page.locator("#sign-form")
    sign_form.locator("input[name='typed_name']").fill("Sara Customer")
    sign_form.locator("input[name='agree']").check()
    sign_form.locator("button[type='submit']").click()
    expect(page.locator("#signatures dl.signature")).to_have_count(1)
    expect(page.get_by_text("Спасибо. Вы подписали договор.")).to_be_visible()
    assert horizontal_overflow(page) <= 0
    page.screenshot(path=screenshot_dir / "ru-3-contract-signed.png", full_page=True)
    page.goto(f"/orders/{order.pk}/")
    expect(page.locator("#contract-status")).to_have_text(
        "Вы подписали. Ожидаем подписи исполнителя."
    )
    assert order.contract.signatures.filter(party="customer").exists()
    # On a phone the order page, its price breakdown included, fits the screen.
    page.set_viewport_size(MOBILE_VIEWPORT)
    page.reload()
    expect(page.locator("#price-breakdown #quoted-price")).to_have_text(TOTAL)
    assert horizontal_overflow(page) <= 0
    page.screenshot(path=screenshot_dir / "ru-4-order-phone.png", full_page=True)
    assert problems == []
