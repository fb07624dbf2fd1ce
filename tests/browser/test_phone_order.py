"""An operator takes a phone order in Chinese for a caller who is new to the platform."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import User
from orders.models import Channel, Order

from ..factories import AreaFactory, OperatorFactory, ProviderFactory, ServiceTypeFactory
from .test_journey import log_in, record_failures

pytestmark = pytest.mark.browser

OPERATOR_PHONE = "+989126660303"
OPERATOR_PHONE_LOCAL = "0912 666 0303"
CALLER_PHONE_LOCAL = "0912-555-0909"


@pytest.mark.requirement("R-ORD-1", "R-I18N-1")
def test_operator_takes_a_phone_order_in_chinese_for_a_new_caller(
    transactional_db, live_server, new_context, screenshot_dir
):
    service = ServiceTypeFactory()  # 500,000 + 40,000 per m²
    area = AreaFactory()
    ProviderFactory()
    operator = OperatorFactory(phone=OPERATOR_PHONE, full_name="Olga Operator")
    day = timezone.localdate() + timedelta(days=1)

    page = new_context().new_page()
    problems = record_failures(page)
    log_in(page, OPERATOR_PHONE_LOCAL)
    page.goto("/orders/phone/")
    with page.expect_navigation():
        page.locator("header select[name='language']").select_option("zh-hans")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.get_by_role("heading", level=1)).to_have_text("接听电话订单")

    form = page.locator("main form")
    form.locator("input[name='phone']").fill(CALLER_PHONE_LOCAL)
    form.locator("button[name='find']").click()
    expect(page.locator("#caller-status")).to_be_visible()
    form.locator("input[name='full_name']").fill("王芳")
    form.locator("select[name='preferred_language']").select_option("zh-hans")
    form.locator("select[name='service_type']").select_option(str(service.pk))
    form.locator("select[name='area']").select_option(str(area.pk))
    form.locator("input[name='address']").fill("张店区人民西路 88 号")
    form.locator("input[name='day']").fill(day.isoformat())
    form.locator("input[name='home_area_sqm']").fill("80")
    form.locator("input[name='home_area_sqm']").blur()
    page.wait_for_load_state("networkidle")  # the free start times reload (htmx)
    form.locator("select[name='start']").select_option("10:00")
    page.screenshot(path=screenshot_dir / "phone-1-form-zh.png", full_page=True)
    form.locator("button[name='quote']").click()

    # The amount and the currency's name for Chinese readers (orders/money.py).
    expect(page.locator("#quoted-price")).to_have_text("3,700,000 伊朗里亚尔")
    assert not Order.objects.exists(), "seeing the price must not book"
    page.screenshot(path=screenshot_dir / "phone-2-price-zh.png", full_page=True)
    page.locator("main form button[name='confirm']").click()

    expect(page.locator("#order-number")).to_be_visible()
    order = Order.objects.get()
    expect(page.locator("#order-number")).to_have_text(str(order.pk))
    page.screenshot(path=screenshot_dir / "phone-3-done-zh.png", full_page=True)
    caller = User.objects.get(phone="+989125550909")
    assert (caller.full_name, caller.preferred_language) == ("王芳", "zh-hans")
    assert not caller.has_usable_password()
    assert (order.customer, order.channel, order.taken_by) == (caller, Channel.PHONE, operator)
    assert order.price == 3700000
    assert problems == []
