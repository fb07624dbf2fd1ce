from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from orders.models import Order, OrderEvent, OrderStatus
from orders.pricing import quote_for
from tests.factories import AreaFactory, ServiceTypeFactory

pytestmark = pytest.mark.django_db


def booking_data(service, area, /, **overrides):
    day = timezone.localdate() + timedelta(days=1)
    data = {
        "service_type": service.pk,
        "area": area.pk,
        "address": "12 Valiasr Street, unit 4",
        "day": day.isoformat(),
        "start": "10:00",
        "home_area_sqm": "80",
        "notes": "Please use our own eco products",
    }
    data.update(overrides)
    return data


@pytest.mark.requirement("R-ORD-2")
def test_quote_is_base_plus_rate_times_area_and_rounds_duration_to_half_hours(service):
    quote = quote_for(service_type=service, home_area_sqm=80)
    assert quote.price == Decimal("3700000")  # 500,000 + 40,000 * 80
    assert quote.currency == "IRR"
    assert quote.minutes == 120  # 80 * 1.5 = 120


@pytest.mark.requirement("R-ORD-2")
def test_quote_never_goes_below_the_minimum_price_or_outside_duration_bounds(service):
    small = quote_for(service_type=service, home_area_sqm=10)
    assert small.price == Decimal("2000000")
    assert small.minutes == 120
    large = quote_for(service_type=service, home_area_sqm=500)
    assert large.minutes == 240
    odd = quote_for(service_type=service, home_area_sqm=90)  # 135 minutes -> 150
    assert odd.minutes == 150


@pytest.mark.requirement("R-ORD-1", "R-ORD-2")
def test_customer_sees_the_server_price_before_anything_is_saved(
    customer_client, service, area, provider
):
    response = customer_client.post(reverse("orders:book"), booking_data(service, area))
    assert response.status_code == 200
    assert response.context["quote"].price == Decimal("3700000")
    assert b"3,700,000 IRR" in response.content
    assert Order.objects.count() == 0


@pytest.mark.requirement("R-ORD-1", "R-ORD-2", "R-ORD-3")
def test_confirming_saves_a_requested_order_at_the_server_price(
    customer_client, customer, service, area, provider, django_capture_on_commit_callbacks
):
    data = booking_data(service, area, confirm="1", price="1")  # a tampered price is ignored
    with django_capture_on_commit_callbacks(execute=False):
        response = customer_client.post(reverse("orders:book"), data)
    order = Order.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("orders:detail", args=[order.pk])
    assert order.customer == customer
    assert order.status == OrderStatus.REQUESTED
    assert order.price == Decimal("3700000")
    assert order.home_area_sqm == 80
    assert order.notes == "Please use our own eco products"
    assert order.ends_at - order.starts_at == timedelta(minutes=120)
    assert timezone.localtime(order.starts_at).hour == 10
    event = OrderEvent.objects.get(order=order)
    assert (event.from_status, event.to_status, event.actor) == ("", "requested", customer)


@pytest.mark.requirement("R-ORD-1")
@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("day", "2020-01-01", "at least 60 minutes from now"),
        ("day", "not-a-date", "Enter a valid date"),
        ("service_type", "999999", "Choose one of the services on the list"),
        ("area", "999999", "We do not serve this area yet"),
        ("home_area_sqm", "0", "greater than or equal to 1"),
        ("home_area_sqm", "-40", "greater than or equal to 1"),
        ("home_area_sqm", "eighty", "whole number of square metres"),
        ("home_area_sqm", "5000", "less than or equal to 2000"),
        ("address", "   ", "This field is required"),
        ("start", "03:00", "Select a valid choice"),
    ],
)
def test_bad_booking_input_gets_a_clear_message_and_saves_nothing(
    customer_client, service, area, field, value, message
):
    data = booking_data(service, area, confirm="1", **{field: value})
    response = customer_client.post(reverse("orders:book"), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Order.objects.count() == 0
    assert OrderEvent.objects.count() == 0


@pytest.mark.requirement("R-ORD-1")
def test_an_area_that_is_not_served_is_refused(customer_client, service):
    closed = AreaFactory(code="far", name="Far away", is_active=False)
    response = customer_client.post(
        reverse("orders:book"), booking_data(service, closed, confirm="1")
    )
    assert "We do not serve this area yet" in response.content.decode()
    assert Order.objects.count() == 0


@pytest.mark.requirement("R-ORD-1")
def test_a_service_that_is_not_offered_is_refused(customer_client, area):
    retired = ServiceTypeFactory(code="retired", name="Retired", is_active=False)
    response = customer_client.post(
        reverse("orders:book"), booking_data(retired, area, confirm="1")
    )
    assert "Choose one of the services on the list" in response.content.decode()
    assert Order.objects.count() == 0


@pytest.mark.requirement("R-ORD-5")
def test_a_job_that_would_end_after_midnight_is_refused(customer_client, area):
    long_job = ServiceTypeFactory(
        code="long", name="Long", minimum_minutes=480, maximum_minutes=480
    )
    response = customer_client.post(
        reverse("orders:book"), booking_data(long_job, area, start="20:00", confirm="1")
    )
    assert "must end the same day" in response.content.decode()
    assert Order.objects.count() == 0


def test_booking_requires_login(client, service, area):
    response = client.post(reverse("orders:book"), booking_data(service, area, confirm="1"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert Order.objects.count() == 0


def test_a_provider_cannot_book_as_a_customer(client, provider, service, area):
    client.force_login(provider.user)
    response = client.post(reverse("orders:book"), booking_data(service, area, confirm="1"))
    assert response.status_code == 403
    assert Order.objects.count() == 0


def test_edit_returns_to_the_filled_form(customer_client, service, area):
    response = customer_client.post(reverse("orders:book"), booking_data(service, area, edit="1"))
    assert response.templates[0].name == "orders/book.html"
    assert b"12 Valiasr Street" in response.content
    assert Order.objects.count() == 0
