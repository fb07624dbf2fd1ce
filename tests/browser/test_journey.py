"""The main journey in a real browser: book, match, accept, do the job, rate; and Persian RTL.

Celery runs eagerly in tests, so here the match runs in the booking request's on_commit inside
the live server thread; tests/matching/test_worker.py proves it runs in a real worker instead.
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from orders.models import Order, OrderEvent, OrderStatus
from reviews.models import Rating

from ..factories import (
    PASSWORD,
    AreaFactory,
    CustomerFactory,
    ProviderFactory,
    ServiceTypeFactory,
)

pytestmark = pytest.mark.browser

CUSTOMER_PHONE = "+989125550101"
CUSTOMER_PHONE_LOCAL = "0912 555 0101"  # typed the way Iranians write it: parsed in region IR
PROVIDER_PHONE = "+989127770202"
PROVIDER_PHONE_LOCAL = "09127770202"
ADDRESS = "12 Valiasr Street, unit 4"
ORDER_URL = re.compile(r"/orders/(\d+)/$")


def log_in(page: Page, phone: str) -> None:
    page.goto("/accounts/login/")
    form = page.locator("main form")
    form.locator("input[name='username']").fill(phone)
    form.locator("input[name='password']").fill(PASSWORD)
    form.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def record_failures(page: Page, *, ignore: tuple[str, ...] = ()) -> list[str]:
    """Collect failed responses (e.g. a missing stylesheet) and script errors of the page."""
    problems: list[str] = []

    def on_response(response) -> None:
        if response.status >= 400 and not any(part in response.url for part in ignore):
            problems.append(f"{response.status} {response.url}")

    page.on("response", on_response)
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    return problems


def horizontal_overflow(page: Page) -> int:
    """How many CSS pixels the page is wider than the viewport (0: no horizontal scroll)."""
    return page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


@pytest.mark.requirement("R-ORD-1", "R-ORD-2", "R-ORD-3", "R-ORD-4", "R-QC-1", "R-I18N-1")
def test_customer_books_provider_does_the_job_customer_rates_it(
    transactional_db, live_server, new_context, screenshot_dir, settings
):
    # The job is tomorrow: let the arrival check-in (R-ORD-6) open now, so the journey runs on.
    settings.CHECK_IN_OPENS_MINUTES_BEFORE = 2 * 24 * 60
    # The best provider gets the offer at once (test_recommendations.py: the customer picks).
    settings.MATCHING_MODE = "auto"
    service = ServiceTypeFactory()  # 500,000 + 40,000 per m², at least 2,000,000 IRR
    area = AreaFactory()
    provider = ProviderFactory(user__phone=PROVIDER_PHONE, user__full_name="Maryam Provider")
    customer = CustomerFactory(phone=CUSTOMER_PHONE, full_name="Sara Customer")
    day = timezone.localdate() + timedelta(days=1)

    # (a) The customer logs in with a local phone number, gets the price and books.
    customer_page = new_context().new_page()
    customer_problems = record_failures(customer_page)
    log_in(customer_page, CUSTOMER_PHONE_LOCAL)
    expect(customer_page.get_by_role("heading", name="My orders")).to_be_visible()

    customer_page.goto("/orders/book/")
    form = customer_page.locator("main form")
    form.locator("select[name='service_type']").select_option(str(service.pk))
    form.locator("select[name='area']").select_option(str(area.pk))
    form.locator("input[name='address']").fill(ADDRESS)
    form.locator("input[name='day']").fill(day.isoformat())
    form.locator("input[name='home_area_sqm']").fill("80")
    form.locator("input[name='home_area_sqm']").blur()
    # The start times reload for that day (htmx): choose one once they are there.
    customer_page.wait_for_load_state("networkidle")
    form.locator("select[name='start']").select_option("10:00")
    form.get_by_role("button", name="See the price").click()

    price = customer_page.locator("#quoted-price")
    expect(price).to_have_text("3,700,000 IRR")  # 500,000 + 40,000 x 80
    # The site's own stylesheet is served by the live server (plain static storage).
    assert price.evaluate("element => getComputedStyle(element).fontWeight") == "700"
    assert customer_page.evaluate("() => getComputedStyle(document.body).fontFamily") != ""
    assert not Order.objects.exists(), "seeing the price must not book"
    customer_page.screenshot(path=screenshot_dir / "01-price.png", full_page=True)

    customer_page.get_by_role("button", name="Confirm the booking").click()
    customer_page.wait_for_url(ORDER_URL)
    order_path = customer_page.url.removeprefix(live_server.url)
    expect(customer_page.locator("#order-status")).to_have_text("Offered to a provider")
    expect(customer_page.get_by_role("status")).to_contain_text("finding a provider")
    customer_page.screenshot(path=screenshot_dir / "02-order-offered.png", full_page=True)

    order = Order.objects.get(customer=customer)
    assert order_path == f"/orders/{order.pk}/"
    assert order.price == 3_700_000
    assert timezone.localtime(order.starts_at).date() == day
    assert timezone.localtime(order.starts_at).strftime("%H:%M") == "10:00"

    # (b) The provider answers on a phone: accept, start, complete.
    provider_page = new_context(mobile=True).new_page()
    provider_problems = record_failures(provider_page)
    log_in(provider_page, PROVIDER_PHONE_LOCAL)
    provider_page.wait_for_url("**/provider/")
    offer = provider_page.locator("#offers article.offer")
    expect(offer).to_have_count(1)
    expect(offer).to_contain_text("3,700,000 IRR")
    assert horizontal_overflow(provider_page) <= 0
    provider_page.screenshot(path=screenshot_dir / "03-provider-offer.png", full_page=True)

    offer.get_by_role("button", name="Accept").click()
    upcoming = provider_page.locator("#upcoming article.job")
    expect(upcoming).to_have_count(1)
    expect(upcoming).to_contain_text(ADDRESS)
    expect(provider_page.locator("#offers article.offer")).to_have_count(0)
    assert horizontal_overflow(provider_page) <= 0
    provider_page.screenshot(path=screenshot_dir / "04-provider-upcoming.png", full_page=True)

    # (b2) Both sign the contract (R-ORD-4): the job cannot start before.
    expect(upcoming.get_by_role("button", name="On arrival: check in and start")).to_have_count(0)
    customer_page.reload()
    expect(customer_page.locator("#contract-status")).to_contain_text("Please read and sign")
    customer_page.get_by_role("button", name="Read and sign the contract").click()
    customer_page.wait_for_url(f"**/orders/{order.pk}/contract/")
    expect(customer_page.locator("#contract-text")).to_contain_text(ADDRESS)
    expect(customer_page.locator("#contract-text")).to_contain_text("carries no guarantee")
    customer_page.screenshot(path=screenshot_dir / "04a-contract-to-sign.png", full_page=True)
    sign_form = customer_page.locator("#sign-form")
    sign_form.locator("input[name='typed_name']").fill("sara customer")
    sign_form.locator("input[name='agree']").check()
    sign_form.get_by_role("button", name="Sign the contract").click()
    expect(customer_page.get_by_text("Thank you. You have signed the contract.")).to_be_visible()
    expect(customer_page.locator("#signatures dl.signature")).to_have_count(1)
    customer_page.goto(order_path)
    expect(customer_page.locator("#contract-status")).to_contain_text("Waiting for the provider")

    upcoming.get_by_role("button", name="Sign the contract").click()  # <a role=button>
    provider_page.wait_for_url(f"**/orders/{order.pk}/contract/")
    sign_form = provider_page.locator("#sign-form")
    sign_form.locator("input[name='typed_name']").fill("Maryam Provider")
    sign_form.locator("input[name='agree']").check()
    sign_form.get_by_role("button", name="Sign the contract").click()
    expect(provider_page.locator("#signatures dl.signature")).to_have_count(2)
    assert horizontal_overflow(provider_page) <= 0
    provider_page.screenshot(path=screenshot_dir / "04b-contract-signed.png", full_page=True)
    provider_page.goto("/provider/")
    upcoming = provider_page.locator("#upcoming article.job")

    # (b3) On arrival (R-ORD-6): check the details with the customer, start, report, complete.
    upcoming.get_by_role("button", name="On arrival: check in and start").click()  # <a>
    provider_page.wait_for_url(f"**/orders/jobs/{order.pk}/")
    check_in_form = provider_page.locator("#check-in-form")
    for box in check_in_form.locator("input[type='checkbox']").all():
        box.check()
    check_in_form.get_by_role("button", name="I have arrived: check in").click()
    expect(provider_page.locator("#checked-in")).to_be_visible()
    assert horizontal_overflow(provider_page) <= 0
    provider_page.screenshot(path=screenshot_dir / "04c-checked-in.png", full_page=True)
    provider_page.get_by_role("button", name="Start the job").click()
    completion = provider_page.locator("#completion-form")
    expect(completion).to_be_visible()
    completion.locator("textarea[name='summary']").fill("Kitchen, bathroom and two rooms.")
    assert horizontal_overflow(provider_page) <= 0
    completion.get_by_role("button", name="Mark completed").click()
    expect(provider_page.locator("#completion-report")).to_contain_text("two rooms")
    provider_page.goto("/provider/")
    expect(provider_page.locator("#in-progress article.job")).to_have_count(0)
    expect(provider_page.locator("#recent")).to_contain_text(service.name)
    assert provider_page.evaluate("() => document.documentElement.scrollWidth") <= 375
    provider_page.screenshot(path=screenshot_dir / "05-provider-completed.png", full_page=True)

    # (c) The customer sees the job completed and rates it.
    customer_page.reload()
    expect(customer_page.locator("#order-status")).to_have_text("Completed")
    customer_page.get_by_role("button", name="Rate this job").click()  # <a role=button>
    customer_page.wait_for_url(f"**/reviews/orders/{order.pk}/rate/")
    rating_form = customer_page.locator("main form")
    rating_form.locator("input[name='attitude'][value='5']").check()
    rating_form.locator("input[name='result'][value='4']").check()
    rating_form.locator("input[name='compliance'][value='5']").check()
    rating_form.locator("textarea[name='comment']").fill("Spotless kitchen, arrived on time.")
    customer_page.screenshot(path=screenshot_dir / "06-rate.png", full_page=True)
    rating_form.get_by_role("button", name="Send rating").click()

    customer_page.wait_for_url(f"**{order_path}")
    panel = customer_page.locator("#rating")
    expect(panel.get_by_role("heading", name="Your rating")).to_be_visible()
    expect(panel).to_contain_text("Spotless kitchen, arrived on time.")
    expect(customer_page.get_by_text("Rate this job")).to_have_count(0)
    customer_page.screenshot(path=screenshot_dir / "07-rated.png", full_page=True)

    rating = Rating.objects.get(order=order)
    assert (rating.attitude, rating.result, rating.compliance) == (5, 4, 5)
    assert rating.comment == "Spotless kitchen, arrived on time."
    assert rating.customer == customer
    assert rating.provider == provider

    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    assert order.provider == provider
    events = list(OrderEvent.objects.filter(order=order).order_by("pk"))
    assert [(e.from_status, e.to_status) for e in events] == [
        ("", OrderStatus.REQUESTED),
        (OrderStatus.REQUESTED, OrderStatus.OFFERED),
        (OrderStatus.OFFERED, OrderStatus.CONFIRMED),
        (OrderStatus.CONFIRMED, OrderStatus.CONFIRMED),  # the arrival check-in
        (OrderStatus.CONFIRMED, OrderStatus.IN_PROGRESS),
        (OrderStatus.IN_PROGRESS, OrderStatus.COMPLETED),
    ]
    assert [e.actor for e in events] == [
        customer,
        None,
        provider.user,
        provider.user,
        provider.user,
        provider.user,
    ]

    assert customer_problems == []
    assert provider_problems == []


@pytest.mark.requirement("R-I18N-1")
def test_persian_from_the_language_switcher_turns_the_page_right_to_left(
    transactional_db, live_server, new_context, screenshot_dir
):
    ServiceTypeFactory()
    page = new_context(mobile=True).new_page()
    problems = record_failures(page)
    page.goto("/")
    html = page.locator("html")
    expect(html).to_have_attribute("dir", "ltr")
    expect(html).to_have_attribute("lang", "en")

    with page.expect_navigation():
        page.locator("header select[name='language']").select_option("fa")

    expect(html).to_have_attribute("dir", "rtl")
    expect(html).to_have_attribute("lang", "fa")
    expect(page.locator("header select[name='language']")).to_have_value("fa")
    assert page.evaluate("() => getComputedStyle(document.body).direction") == "rtl"
    page.screenshot(path=screenshot_dir / "08-home-fa-rtl.png", full_page=True)

    # The choice sticks for the next page.
    page.goto("/accounts/login/")
    expect(html).to_have_attribute("dir", "rtl")
    page.screenshot(path=screenshot_dir / "09-login-fa-rtl.png", full_page=True)
    assert problems == []


def test_every_asset_of_the_base_page_loads(transactional_db, live_server, new_context):
    page = new_context().new_page()
    problems = record_failures(page)
    page.goto("/")
    page.wait_for_load_state("load")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert problems == []
