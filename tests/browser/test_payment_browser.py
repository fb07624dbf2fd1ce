"""A customer books, pays on the sandbox gateway's card page and gets the receipt (R-PAY-2,
R-PAY-5), in a real browser."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from orders.models import Order
from payments.models import Payment, PaymentStatus, Receipt

from ..factories import AreaFactory, CustomerFactory, ProviderFactory, ServiceTypeFactory
from .test_journey import ADDRESS, CUSTOMER_PHONE, CUSTOMER_PHONE_LOCAL, ORDER_URL, log_in

pytestmark = pytest.mark.browser


@pytest.mark.requirement("R-PAY-2", "R-PAY-5")
def test_customer_books_pays_on_the_card_page_and_downloads_the_receipt(
    transactional_db, live_server, new_context, screenshot_dir
):
    service = ServiceTypeFactory()
    area = AreaFactory()
    ProviderFactory()
    CustomerFactory(phone=CUSTOMER_PHONE, full_name="Sara Customer")
    day = timezone.localdate() + timedelta(days=1)
    page = new_context(mobile=True).new_page()
    log_in(page, CUSTOMER_PHONE_LOCAL)

    page.goto("/orders/book/")
    form = page.locator("main form")
    form.locator("select[name='service_type']").select_option(str(service.pk))
    form.locator("select[name='area']").select_option(str(area.pk))
    form.locator("input[name='address']").fill(ADDRESS)
    form.locator("input[name='day']").fill(day.isoformat())
    form.locator("input[name='home_area_sqm']").fill("80")
    form.locator("input[name='home_area_sqm']").blur()
    page.wait_for_load_state("networkidle")
    form.locator("select[name='start']").select_option("10:00")
    form.get_by_role("button", name="See the price").click()
    page.get_by_role("button", name="Confirm the booking").click()
    page.wait_for_url(ORDER_URL)

    # The order page offers to pay the booked price; the pay page says what the card pays.
    page.locator("#pay-now").click()
    expect(page.locator("#gateway-amount")).to_have_text("3,700,000 IRR")
    page.get_by_role("button", name="Continue to payment").click()
    page.wait_for_url("**/money/sandbox/pay/**")
    expect(page.locator("#charge-amount")).to_contain_text("3,700,000")
    page.screenshot(path=screenshot_dir / "pay-01-card-page.png", full_page=True)
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_label("Expiry (MM/YY)").fill("12/30")
    page.get_by_label("Security code").fill("123")
    page.get_by_role("button", name="Pay", exact=True).click()

    page.wait_for_url(ORDER_URL)
    expect(page.get_by_text("Payment received. Thank you!")).to_be_visible()
    expect(page.locator("#paid-amount")).to_contain_text("3,700,000")
    order = Order.objects.get()
    payment = Payment.objects.get(order=order)
    assert payment.status == PaymentStatus.SUCCEEDED
    receipt = Receipt.objects.get(payment=payment)
    link = page.locator(".receipt-link")
    expect(link).to_have_text(f"Receipt {receipt.display_number}")
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == f"receipt-{receipt.display_number}.pdf"
    with open(download.value.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
    page.screenshot(path=screenshot_dir / "pay-02-paid.png", full_page=True)
    assert "Pay " not in page.locator("#payment-panel").inner_text()
