"""Phone orders taken by an operator, and the saved addresses offered on the next booking."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, User
from orders.models import Channel, Order, OrderEvent, OrderStatus, SavedAddress
from tests.factories import AreaFactory, CustomerFactory, OperatorFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.requirement("R-ORD-1")]

URL = reverse("orders:phone_take")
NEW_CALLER = "0912 555 0101"  # a local number, parsed in the default region (IR)


def staff_in(group_name):
    user = UserFactory(role=Role.OPERATOR, is_staff=True, full_name="Sam Staff")
    user.groups.add(Group.objects.get(name=group_name))
    return user


@pytest.fixture
def support_agent(db):
    return staff_in("support")


@pytest.fixture
def agent_client(client, support_agent):
    client.force_login(support_agent)
    return client


def phone_data(service, area, /, **overrides):
    data = {
        "phone": NEW_CALLER,
        "full_name": "Reza Caller",
        "preferred_language": "fa",
        "service_type": service.pk,
        "area": area.pk,
        "address": "7 Enghelab Street",
        "day": (timezone.localdate() + timedelta(days=1)).isoformat(),
        "start": "10:00",
        "home_area_sqm": "80",
        "notes": "Ring twice",
    }
    data.update(overrides)
    return data


def counts():
    return (
        User.objects.count(),
        Order.objects.count(),
        OrderEvent.objects.count(),
        SavedAddress.objects.count(),
    )


@pytest.mark.parametrize("who", ["customer", "provider", "vetting"])
def test_only_support_staff_and_superusers_may_take_phone_orders(client, provider, customer, who):
    user = {"customer": customer, "provider": provider.user, "vetting": None}[who]
    if who == "vetting":
        user = staff_in("vetting")
    client.force_login(user)
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"phone": NEW_CALLER, "find": "1"}).status_code == 403
    assert client.get(reverse("orders:phone_times")).status_code == 403


def test_support_staff_and_superusers_see_the_page_and_visitors_must_log_in(
    client, support_agent, operator
):
    assert client.get(URL).status_code == 302
    for user in (support_agent, operator):
        client.force_login(user)
        response = client.get(URL)
        assert response.status_code == 200
        assert "Find the caller" in response.content.decode()
        assert f'href="{URL}"' in response.content.decode()  # the nav link


def test_new_caller_is_asked_for_name_and_language_when_found_nowhere(agent_client):
    response = agent_client.post(URL, {"phone": NEW_CALLER, "find": "1"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "New customer" in page
    assert 'name="full_name"' in page
    assert 'name="preferred_language"' in page
    assert 'name="saved_address"' not in page
    assert User.objects.filter(phone="+989125550101").count() == 0


def test_operator_sees_the_server_price_before_anything_is_saved(
    agent_client, service, area, provider
):
    before = counts()
    response = agent_client.post(URL, phone_data(service, area, quote="1", price="1"))
    assert response.status_code == 200
    assert response.context["quote"].price == Decimal("3700000")
    assert "3,700,000 IRR" in response.content.decode()
    assert counts() == before


def test_phone_order_for_a_new_caller_creates_the_customer_and_the_order(
    agent_client, support_agent, service, area, provider
):
    data = phone_data(service, area, confirm="1", price="1", channel="web", taken_by="")
    response = agent_client.post(URL, data)  # a tampered price, channel and taker are ignored
    order = Order.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("orders:phone_done", args=[order.pk])
    caller = User.objects.get(phone="+989125550101")
    assert (caller.full_name, caller.role, caller.preferred_language) == (
        "Reza Caller",
        Role.CUSTOMER,
        "fa",
    )
    assert not caller.has_usable_password()
    assert not caller.is_staff
    assert order.customer == caller
    assert order.channel == Channel.PHONE
    assert order.taken_by == support_agent
    assert order.status == OrderStatus.REQUESTED
    assert order.price == Decimal("3700000")
    assert order.address == "7 Enghelab Street"
    assert order.notes == "Ring twice"
    assert timezone.localtime(order.starts_at).hour == 10
    event = OrderEvent.objects.get(order=order)
    assert (event.from_status, event.to_status, event.actor, event.reason) == (
        "",
        "requested",
        support_agent,
        "Booked by phone",
    )
    saved = SavedAddress.objects.get()
    assert (saved.customer, saved.address, saved.area) == (caller, "7 Enghelab Street", area)

    done = agent_client.get(response["Location"])
    page = done.content.decode()
    assert f'<dd id="order-number">{order.pk}</dd>' in page
    assert reverse("admin:orders_order_change", args=[order.pk]) in page
    assert f"Order {order.pk} is booked." in page  # the flash message


def test_existing_caller_is_found_from_a_local_number_with_saved_addresses(
    agent_client, support_agent, service, area, provider
):
    caller = CustomerFactory(phone="+989121234567", full_name="Sara Known")
    old = SavedAddress.objects.create(customer=caller, address="1 Old Road", area=area)
    new = SavedAddress.objects.create(customer=caller, address="2 New Road", area=area)
    SavedAddress.objects.filter(pk=old.pk).update(last_used_at=timezone.now() - timedelta(days=9))
    response = agent_client.post(URL, {"phone": "0912 123 4567", "find": "1"})
    page = response.content.decode()
    assert "Existing customer: Sara Known" in page
    assert 'name="full_name"' not in page
    choices = list(response.context["booking"].fields["saved_address"].queryset)
    assert choices == [new, old]  # newest first
    assert f'data-address="2 New Road" data-area="{area.pk}"' in page

    users = User.objects.count()
    data = phone_data(service, area, phone="0912-123-4567", full_name="", confirm="1")
    data.update(address="", saved_address=str(old.pk))  # picked without JavaScript
    response = agent_client.post(URL, data)
    order = Order.objects.get()
    assert response.status_code == 302
    assert User.objects.count() == users
    assert (order.customer, order.channel, order.taken_by) == (caller, "phone", support_agent)
    assert order.address == "1 Old Road"
    assert SavedAddress.objects.filter(customer=caller).count() == 2
    assert list(caller.saved_addresses.all()) == [old, new]  # used again: back on top
    caller.refresh_from_db()
    assert caller.full_name == "Sara Known"


def test_web_booking_records_the_address_and_offers_it_next_time(
    customer_client, customer, service, area, provider
):
    page = customer_client.get(reverse("orders:book")).content.decode()
    assert 'name="saved_address"' not in page  # nothing saved yet
    data = phone_data(service, area, confirm="1")
    for key in ("phone", "full_name", "preferred_language"):
        del data[key]
    customer_client.post(reverse("orders:book"), data)
    customer_client.post(reverse("orders:book"), {**data, "start": "15:00"})
    saved = SavedAddress.objects.get()  # booked twice at the same address: saved once
    assert (saved.customer, saved.address, saved.area) == (customer, "7 Enghelab Street", area)
    assert Order.objects.filter(customer=customer, channel=Channel.WEB).count() == 2
    page = customer_client.get(reverse("orders:book")).content.decode()
    assert 'name="saved_address"' in page
    assert f'value="{saved.pk}" data-address="7 Enghelab Street" data-area="{area.pk}"' in page


def test_another_customers_saved_address_cannot_be_picked(
    customer_client, other_customer, service, area, provider
):
    theirs = SavedAddress.objects.create(customer=other_customer, address="Secret", area=area)
    data = phone_data(service, area, confirm="1", address="", saved_address=str(theirs.pk))
    response = customer_client.post(reverse("orders:book"), data)
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    assert Order.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("phone", "12ab", "Enter a valid phone number"),
        ("phone", "", "This field is required"),
        ("full_name", "  ", "This caller is new: enter their full name."),
        ("preferred_language", "", "Choose the language for their messages."),
        ("preferred_language", "de", "Select a valid choice"),
        ("home_area_sqm", "0", "greater than or equal to 1"),
        ("address", "", "This field is required"),
        ("day", "2020-01-01", "at least 60 minutes from now"),
        ("area", "999999", "We do not serve this area yet"),
    ],
)
def test_bad_phone_order_input_gets_a_clear_message_and_saves_nothing(
    agent_client, service, area, provider, field, value, message
):
    before = counts()
    response = agent_client.post(URL, phone_data(service, area, confirm="1", **{field: value}))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert counts() == before


def test_no_free_provider_is_refused_and_the_new_caller_is_not_created(agent_client, service, area):
    before = counts()  # nobody works in this area
    response = agent_client.post(URL, phone_data(service, area, confirm="1"))
    assert "No provider is free then" in response.content.decode()
    assert counts() == before


@pytest.mark.parametrize("whose", ["provider", "staff"])
def test_a_providers_or_staff_number_is_refused(agent_client, provider, service, area, whose):
    user = provider.user if whose == "provider" else OperatorFactory()
    before = counts()
    for step in ("find", "confirm"):
        data = phone_data(service, area, phone=str(user.phone), **{step: "1"})
        response = agent_client.post(URL, data)
        assert response.status_code == 200
        assert "belongs to a provider or a member of staff" in response.content.decode()
    assert counts() == before
    user.refresh_from_db()
    assert user.role != Role.CUSTOMER


def test_operator_start_times_are_narrowed_like_the_web_form(agent_client, service, provider):
    area = provider.areas.get()
    day = (timezone.localdate() + timedelta(days=1)).isoformat()
    query = {"service_type": service.pk, "area": area.pk, "day": day, "home_area_sqm": "80"}
    page = agent_client.get(reverse("orders:phone_times"), query).content.decode()
    assert '<option value="10:00"' in page
    closed = AreaFactory(code="far", name="Far away")
    query["area"] = closed.pk
    page = agent_client.get(reverse("orders:phone_times"), query).content.decode()
    assert "No provider is free that day" in page
