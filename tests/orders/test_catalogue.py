"""The catalogue and the versioned price book (R-ORD-2): orders freeze their quote, published
versions never change, only staff publish, and nothing a client sends changes a price."""

import re
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.contrib.admin.sites import site
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone, translation
from rest_framework.test import APIClient

from orders.admin.catalogue import PriceBookAdmin
from orders.models import (
    Order,
    OrderOption,
    PriceBook,
    PriceBookLocked,
    PriceBookStatus,
    PriceRule,
)
from orders.money import format_money
from orders.pricing import quote_for
from orders.services import booking
from orders.services.pricebook import PriceBookError, copy_price_book, publish_price_book
from tests.factories import CustomerFactory, ServiceTypeFactory, UserFactory

from .catalogue_factories import ServiceOptionFactory, price_option, publish_version

pytestmark = [pytest.mark.django_db, pytest.mark.requirement("R-ORD-2")]

D = Decimal


def tomorrow():
    return timezone.localdate() + timedelta(days=1)


def book(service, *, options=(), difficulty="normal", customer=None, area=None):
    from providers.models import Provider
    from tests.factories import AreaFactory, ProviderFactory

    if not Provider.objects.exists():
        ProviderFactory()  # somebody free to take it: check_booking refuses a time otherwise
    return booking.book_order(
        customer=customer or CustomerFactory(),
        booking=booking.check_booking(
            booking.BookingRequest(
                service_type=service,
                area=area or AreaFactory(),
                address="7 Enghelab Square",
                day=tomorrow(),
                start=time(10),
                home_area_sqm=80,
                options=tuple(options),
                difficulty=difficulty,
            )
        ),
    )


@pytest.fixture
def fridge(service):
    option = ServiceOptionFactory(
        service_type=service, code="fridge", name="Inside the fridge", extra_minutes=30
    )
    price_option(option, "300000")
    return option


@pytest.fixture
def oven(service):
    option = ServiceOptionFactory(
        service_type=service, code="oven", name="Inside the oven", extra_minutes=30
    )
    price_option(option, "350000")
    return option


@pytest.fixture
def other_option(db):
    other = ServiceTypeFactory(code="windows-only", name="Windows only")
    option = ServiceOptionFactory(service_type=other, code="frames", name="Frames")
    price_option(option, "100000")
    return option


# --- The order freezes its quote ---------------------------------------------------------------


def test_a_booking_freezes_version_condition_options_and_lines(service, fridge, oven):
    order = book(service, options=[fridge, oven], difficulty="heavy")
    order.refresh_from_db()
    # 3,700,000 + 1,110,000 (heavy) + 300,000 + 350,000
    assert order.price == D("5460000")
    assert order.price_book == PriceBook.objects.current()
    assert order.difficulty == "heavy"
    assert list(order.options.values_list("option__code", "name", "price", "extra_minutes")) == [
        ("fridge", "Inside the fridge", D("300000"), 30),
        ("oven", "Inside the oven", D("350000"), 30),
    ]
    assert [(line.kind, line.amount) for line in order.price_breakdown] == [
        ("base", D("3700000")),
        ("difficulty", D("1110000")),
        ("option", D("300000")),
        ("option", D("350000")),
    ]
    assert sum(line.amount for line in order.price_breakdown) == order.price
    # 120 minutes + 30 + 30 = 3 hours.
    assert order.duration == timedelta(hours=3)


def test_an_order_keeps_its_version_after_a_new_one_is_published(service, fridge, operator):
    order = book(service, options=[fridge])
    v1 = order.price_book
    draft = copy_price_book(source=v1, actor=operator)
    rule = draft.rules.get(service_type=service)
    rule.rate = D("50000")
    rule.option_prices = {"fridge": "450000"}
    rule.save()
    publish_price_book(price_book=draft, actor=operator)
    assert PriceBook.objects.current() == draft
    order.refresh_from_db()
    assert (order.price_book, order.price) == (v1, D("4000000"))
    assert order.options.get().price == D("300000")
    # A new quote uses the new version: 500,000 + 50,000 x 80 + 450,000.
    assert quote_for(service_type=service, home_area_sqm=80, options=[fridge]).price == D("4950000")


def test_booking_refuses_an_option_of_another_service_and_saves_nothing(service, other_option):
    with pytest.raises(ValidationError) as error:
        book(service, options=[other_option])
    assert error.value.message_dict == {"options": ["“Frames” cannot be added to this service."]}
    assert not Order.objects.exists() and not OrderOption.objects.exists()


def test_booking_refuses_a_retired_option(service, fridge):
    fridge.is_active = False
    fridge.save()
    with pytest.raises(ValidationError):
        book(service, options=[fridge])
    assert not Order.objects.exists()


# --- Versions: immutable once published, published only by staff ------------------------------


def test_a_published_version_cannot_change(service):
    book_ = PriceBook.objects.current()
    rule = book_.rules.get(service_type=service)
    book_.note = "changed"
    with pytest.raises(PriceBookLocked):
        book_.save()
    rule.rate = D("1")
    with pytest.raises(PriceBookLocked):
        rule.save()
    with pytest.raises(PriceBookLocked):
        rule.delete()
    with pytest.raises(PriceBookLocked):
        PriceRule.objects.create(
            price_book=book_,
            service_type=ServiceTypeFactory(code="new", name="New"),
            base_price=1,
            rate=1,
            minutes_per_sqm=1,
        )
    with pytest.raises(PriceBookLocked):
        book_.delete()
    rule.refresh_from_db()
    assert rule.rate == D("40000")


def test_a_draft_copied_from_a_version_holds_the_same_rules(service, fridge, operator):
    source = PriceBook.objects.current()
    draft = copy_price_book(source=source, actor=operator)
    assert draft.status == PriceBookStatus.DRAFT
    assert draft.number == source.number + 1
    assert (draft.copied_from, draft.created_by) == (source, operator)
    fields = ("service_type", "unit", "base_price", "rate", "minimum_price", "option_prices")
    assert list(draft.rules.values_list(*fields)) == list(source.rules.values_list(*fields))
    assert PriceBook.objects.current() == source  # a draft is never current


def test_publishing_records_who_and_when_and_makes_it_current(service, operator):
    draft = copy_price_book(source=PriceBook.objects.current(), actor=operator)
    before = timezone.now()
    published = publish_price_book(price_book=draft, actor=operator)
    assert published.status == PriceBookStatus.PUBLISHED
    assert published.published_by == operator
    assert published.published_at >= before
    assert PriceBook.objects.current() == published
    with pytest.raises(PriceBookError, match="already published"):
        publish_price_book(price_book=published, actor=operator)


def test_only_staff_with_the_permission_publish_or_copy(service):
    customer = CustomerFactory()
    clerk = UserFactory(is_staff=True)
    draft = PriceBook.objects.create(number=999, note="draft")
    for user in (customer, clerk, None):
        with pytest.raises(PriceBookError):
            publish_price_book(price_book=draft, actor=user)
        with pytest.raises(PriceBookError):
            copy_price_book(source=draft, actor=user)
    draft.refresh_from_db()
    assert draft.status == PriceBookStatus.DRAFT


def test_a_draft_with_an_unpriced_option_is_not_published(service, operator):
    draft = copy_price_book(source=PriceBook.objects.current(), actor=operator)
    ServiceOptionFactory(service_type=service, code="balcony", name="Balcony")
    with pytest.raises(PriceBookError, match="no price for Balcony"):
        publish_price_book(price_book=draft, actor=operator)


def test_bad_multipliers_are_refused_with_a_clear_message(service, operator):
    draft = copy_price_book(source=PriceBook.objects.current(), actor=operator)
    rule = draft.rules.get()
    rule.difficulty_multipliers = {"light": "0.9", "normal": "1", "heavy": "-2"}
    with pytest.raises(ValidationError) as error:
        rule.full_clean()
    assert "heavy must be a number above zero" in str(error.value)


def test_a_version_valid_later_is_not_current_yet(service, operator):
    current = PriceBook.objects.current()
    draft = copy_price_book(source=current, actor=operator)
    draft.valid_from = timezone.now() + timedelta(days=7)
    draft.save()
    publish_price_book(price_book=draft, actor=operator)
    assert PriceBook.objects.current() == current
    assert PriceBook.objects.current(at=timezone.now() + timedelta(days=8)) == draft


def test_the_admin_shows_a_published_version_read_only_and_publishes_drafts(service, operator):
    admin = PriceBookAdmin(PriceBook, site)
    request = RequestFactory().get("/")
    request.user = operator
    current = PriceBook.objects.current()
    assert not admin.has_change_permission(request, current)
    assert not admin.has_delete_permission(request, current)
    request._messages = type("M", (), {"add": lambda *a, **k: None})()
    admin.new_draft_from_version(request, PriceBook.objects.filter(pk=current.pk))
    draft = PriceBook.objects.get(status=PriceBookStatus.DRAFT)
    assert admin.has_change_permission(request, draft)
    admin.publish_versions(request, PriceBook.objects.filter(pk=draft.pk))
    draft.refresh_from_db()
    assert draft.status == PriceBookStatus.PUBLISHED and draft.published_by == operator


# --- Nothing a client sends changes the price --------------------------------------------------


def web_data(service, area, **overrides):
    data = {
        "service_type": service.pk,
        "area": area.pk,
        "address": "12 Valiasr Street, unit 4",
        "day": tomorrow().isoformat(),
        "start": "10:00",
        "home_area_sqm": "80",
    }
    data.update(overrides)
    return data


def test_the_web_confirm_page_shows_the_breakdown(customer_client, service, area, provider, fridge):
    response = customer_client.post(
        reverse("orders:book"), web_data(service, area, options=[fridge.pk], difficulty="heavy")
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="price-breakdown"' in page
    assert "Service, 80 m²" in page and "3,700,000 IRR" in page
    assert "Condition of the home: Heavy: very dirty or long not cleaned (\u00d71.3)" in page
    assert "Inside the fridge" in page and "300,000 IRR" in page
    assert '<td class="amount price" id="quoted-price">5,110,000 IRR</td>' in page
    assert not Order.objects.exists()


def test_a_tampered_web_booking_gets_the_server_price(
    customer_client, service, area, provider, fridge, other_option
):
    tampered = web_data(
        service, area, options=[fridge.pk, other_option.pk], confirm="1", price="1", lines="[]"
    )
    response = customer_client.post(reverse("orders:book"), tampered)
    assert response.status_code == 200
    assert "“Frames” cannot be added to this service." in response.content.decode()
    assert not Order.objects.exists()
    response = customer_client.post(
        reverse("orders:book"),
        web_data(service, area, options=[fridge.pk], confirm="1", price="1", total="1"),
    )
    order = Order.objects.get()
    assert response.status_code == 302
    assert order.price == D("4000000")
    assert list(order.options.values_list("price", flat=True)) == [D("300000")]


def test_the_order_page_shows_the_options_and_breakdown(customer_client, customer, service, fridge):
    order = book(service, options=[fridge], customer=customer)
    page = customer_client.get(reverse("orders:detail", args=[order.pk])).content.decode()
    assert 'id="order-options"' in page and "Inside the fridge" in page
    assert 'id="price-breakdown"' in page and "4,000,000 IRR" in page


def api_booking(service, area, **overrides):
    data = {
        "service": service.code,
        "area": area.code,
        "day": tomorrow().isoformat(),
        "start": "10:00",
        "home_area_sqm": 80,
        "address": "12 Valiasr Street, unit 4",
    }
    data.update(overrides)
    return data


@pytest.fixture
def api(customer):
    client = APIClient()
    client.force_authenticate(customer)
    return client


def test_the_api_quote_returns_the_breakdown(api, service, area, provider, fridge):
    response = api.post(
        reverse("api:quote"),
        api_booking(service, area, options=["fridge"], difficulty="light"),
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    # 3,700,000 - 370,000 (light) + 300,000
    assert body["price"] == "3630000.00"
    assert [(line["kind"], line["amount"]) for line in body["lines"]] == [
        ("base", "3700000.00"),
        ("difficulty", "-370000.00"),
        ("option", "300000.00"),
    ]
    assert body["options"] == ["fridge"] and body["minutes"] == 150


def test_a_tampered_api_create_gets_the_server_price(api, service, area, provider, fridge):
    data = api_booking(
        service,
        area,
        options=["fridge"],
        price="1.00",
        currency="USD",
        lines=[{"kind": "base", "amount": "1"}],
        price_book=999,
    )
    response = api.post(reverse("api:orders"), data, format="json")
    assert response.status_code == 201, response.json()
    order = Order.objects.get()
    assert (order.price, order.currency) == (D("4000000"), "IRR")
    body = response.json()
    assert body["price"] == "4000000.00"
    assert body["options"] == [
        {"code": "fridge", "name": "Inside the fridge", "price": "300000.00", "extra_minutes": 30}
    ]
    assert body["price_book"] == order.price_book.number


def test_the_api_refuses_options_of_another_service_or_retired_ones(
    api, service, area, provider, fridge, other_option
):
    response = api.post(
        reverse("api:orders"), api_booking(service, area, options=["frames"]), format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"errors": {"options": ["This service has no option frames."]}}
    fridge.is_active = False
    fridge.save()
    response = api.post(
        reverse("api:orders"), api_booking(service, area, options=["fridge"]), format="json"
    )
    assert response.status_code == 400
    assert response.json() == {
        "errors": {"options": ["“Inside the fridge” cannot be added to this service."]}
    }
    assert not Order.objects.exists()


# --- Money for people to read ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "irr", "rub"),
    [
        ("en", "3,700,000 IRR", "1,234.50 RUB"),
        ("fa", "۳٬۷۰۰٬۰۰۰ ریال", "۱٬۲۳۴٫۵۰ روبل"),  # noqa: RUF001
        ("ru", "3\u00a0700\u00a0000 риал", "1\u00a0234,50 ₽"),
        ("zh-hans", "3,700,000 伊朗里亚尔", "1,234.50 卢布"),
    ],
)
def test_money_is_formatted_for_the_active_language(language, irr, rub):
    with translation.override(language):
        assert format_money(D("3700000"), "IRR") == irr
        assert format_money(D("1234.5"), "RUB") == rub
        assert format_money(D("-1000"), "CNY").startswith("-")


def test_persian_readers_may_see_tomans(settings):
    settings.MONEY_IRR_AS_TOMAN = True
    assert format_money(D("3700000"), "IRR", "fa") == "۳۷۰٬۰۰۰ تومان"  # noqa: RUF001
    assert format_money(D("3700005"), "IRR", "fa") == "۳۷۰٬۰۰۰٫۵ تومان"  # noqa: RUF001
    assert format_money(D("3700000"), "IRR", "en") == "3,700,000 IRR"


def test_the_money_filter_uses_the_currency_setting(settings):
    from django.template import Context, Template

    settings.CURRENCY = "CNY"
    template = Template("{% load money %}{{ amount|money }}|{{ amount|money:'RUB' }}")
    with translation.override("zh-hans"):
        assert template.render(Context({"amount": D("88")})) == "88 元|88 卢布"


def test_a_fractional_amount_keeps_two_decimals_and_irr_none():
    assert format_money(D("10.5"), "CNY", "en") == "10.50 CNY"
    assert format_money(D("10.5"), "IRR", "en") == "11 IRR"
    assert format_money(datetime(2020, 1, 1).year, "CNY", "en") == "2,020 CNY"


# --- Services booked by the hour -------------------------------------------------------------


@pytest.fixture
def hourly(db):
    """Help at home by the hour: 100,000 + 300,000 an hour, 2 to 4 hours."""
    from orders.models import PricingUnit

    service = ServiceTypeFactory(code="hourly-help", name="Help at home")
    publish_version(
        rules={
            service: {
                "unit": PricingUnit.PER_HOUR,
                "base_price": D("100000"),
                "rate": D("300000"),
                "minimum_price": D("0"),
                "minutes_per_sqm": D("0"),
            }
        }
    )
    return service


def test_a_service_by_the_hour_is_booked_on_the_web_with_hours(
    customer_client, hourly, area, provider
):
    data = web_data(hourly, area, home_area_sqm="", hours="3", confirm="1")
    response = customer_client.post(reverse("orders:book"), data)
    assert response.status_code == 302
    order = Order.objects.get()
    # 100,000 + 3 x 300,000
    assert (order.hours, order.home_area_sqm, order.price) == (3, None, D("1000000"))
    assert order.duration == timedelta(hours=3)
    page = customer_client.get(reverse("orders:detail", args=[order.pk])).content.decode()
    assert "Service, 3 h" in page


def test_hours_outside_the_services_bounds_are_refused_on_the_web(
    customer_client, hourly, area, provider
):
    # The form tells the browser the bounds first (static/js/catalogue-fields.js sets them).
    page = customer_client.get(reverse("orders:book")).content.decode()
    option = re.search(rf'<option value="{hourly.pk}"[^>]*>', page).group(0)
    assert 'data-min-hours="2"' in option and 'data-max-hours="4"' in option
    data = web_data(hourly, area, home_area_sqm="", hours="5", confirm="1")
    response = customer_client.post(reverse("orders:book"), data)
    assert response.status_code == 200
    assert "Book from 2 to 4 hours." in response.content.decode()
    assert not Order.objects.exists()


def test_the_api_quotes_a_service_by_the_hour(api, hourly, area, provider):
    data = api_booking(hourly, area, home_area_sqm=None, hours=4)
    response = api.post(reverse("api:quote"), data, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["hours"], body["price"], body["minutes"]) == (4, "1300000.00", 240)


def test_the_catalogue_admin_pages_render(client, operator, service, fridge):
    client.force_login(operator)
    current = PriceBook.objects.current()
    for url in (
        reverse("admin:orders_pricebook_changelist"),
        reverse("admin:orders_pricebook_add"),
        reverse("admin:orders_pricebook_change", args=[current.pk]),
        reverse("admin:orders_servicetype_change", args=[service.pk]),
        reverse("admin:orders_servicecategory_changelist"),
    ):
        assert client.get(url).status_code == 200, url
    page = client.get(reverse("admin:orders_pricebook_change", args=[current.pk]))
    assert b'name="_save"' not in page.content  # published: read-only


def test_staff_add_a_draft_with_a_rule_in_the_admin(client, operator, service):
    client.force_login(operator)
    data = {
        "number": "50",
        "valid_from_0": timezone.localdate().isoformat(),
        "valid_from_1": "00:00:00",
        "note": "Spring prices",
        "rules-TOTAL_FORMS": "1",
        "rules-INITIAL_FORMS": "0",
        "rules-MIN_NUM_FORMS": "0",
        "rules-MAX_NUM_FORMS": "1000",
        "rules-0-service_type": str(service.pk),
        "rules-0-unit": "per_sqm",
        "rules-0-base_price": "600000",
        "rules-0-rate": "45000",
        "rules-0-minimum_price": "2000000",
        "rules-0-minutes_per_sqm": "1.5",
        "rules-0-difficulty_multipliers": '{"light": "0.9", "normal": "1", "heavy": "1.4"}',
        "rules-0-tier_multipliers": '{"standard": "1", "experienced": "1.1", "expert": "1.2"}',
        "rules-0-option_prices": "{}",
    }
    response = client.post(reverse("admin:orders_pricebook_add"), data)
    assert response.status_code == 302, response.context["errors"]
    draft = PriceBook.objects.get(number=50)
    assert (draft.status, draft.created_by) == (PriceBookStatus.DRAFT, operator)
    assert draft.rules.get().difficulty_multiplier("heavy") == D("1.4")
