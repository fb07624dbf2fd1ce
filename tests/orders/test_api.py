"""The mobile API (R-ORD-1): quotes and bookings at the server's price only (R-ORD-2), the
Idempotency-Key, own orders only, cancellation through the lifecycle (R-ORD-3), one error shape,
token auth and the OpenAPI schema."""

import re
import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import ApiToken
from accounts.services.tokens import key_hash
from config.celery import app as celery_app
from core.models import OutboxTask
from orders.models import Channel, IdempotencyKey, Order, OrderEvent, OrderStatus, PriceBook
from orders.tasks import purge_idempotency_keys_task
from tests.factories import PASSWORD, AreaFactory, CustomerFactory, OrderFactory

pytestmark = pytest.mark.django_db

TEHRAN = ZoneInfo("Asia/Tehran")
# Monday 2 March 2026, 08:00 in Tehran; "tomorrow" below is Tuesday 3 March.
NOW = datetime(2026, 3, 2, 8, 0, tzinfo=TEHRAN)
TOMORROW = "2026-03-03"

QUOTE_URL = reverse("api:quote")
SLOTS_URL = reverse("api:slots")
ORDERS_URL = reverse("api:orders")
TOKEN_URL = reverse("accounts_api:token")


@pytest.fixture
def now(time_machine):
    time_machine.move_to(NOW, tick=False)
    return NOW


@pytest.fixture
def api(customer):
    client = APIClient()
    client.force_authenticate(customer)
    return client


def as_user(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def booking(service, area, /, **overrides):
    data = {
        "service": service.code,
        "area": area.code,
        "day": TOMORROW,
        "start": "10:00",
        "home_area_sqm": 80,
        "address": "12 Valiasr Street, unit 4",
        "notes": "Please use our own eco products",
    }
    data.update(overrides)
    return data


def quote_data(service, area, /, **overrides):
    data = booking(service, area, **overrides)
    del data["address"], data["notes"]
    return data


def nothing_saved():
    return (Order.objects.count(), OrderEvent.objects.count(), IdempotencyKey.objects.count())


# --- Quote and slots ----------------------------------------------------------------------


@pytest.mark.requirement("R-ORD-1", "R-ORD-2")
def test_quote_returns_the_server_price_and_times(api, now, service, area, provider):
    response = api.post(QUOTE_URL, quote_data(service, area), format="json")
    assert response.status_code == 200
    assert response.json() == {
        "service": "standard-home-cleaning",
        "area": "north",
        "home_area_sqm": 80,
        "hours": None,
        "options": [],
        "difficulty": "normal",
        "price_book": PriceBook.objects.current().number,
        "lines": [{"kind": "base", "label": "Service, 80 m²", "code": "", "amount": "3700000.00"}],
        "price": "3700000.00",  # 500,000 + 40,000 * 80
        "currency": "IRR",
        "minutes": 120,
        "starts_at": "2026-03-03T10:00:00+03:30",
        "ends_at": "2026-03-03T12:00:00+03:30",
    }
    assert nothing_saved() == (0, 0, 0)


@pytest.mark.requirement("R-ORD-1")
def test_quote_refuses_a_time_nobody_is_free(api, now, service, area):
    response = api.post(QUOTE_URL, quote_data(service, area), format="json")  # no provider
    assert response.status_code == 400
    message = "No provider is free then. Please choose another time or another day."
    assert response.json() == {"errors": {"start": [message]}}


@pytest.mark.requirement("R-ORD-1", "R-ORD-5")
def test_slots_lists_the_start_times_a_provider_is_free(api, now, service, area, provider):
    # The provider works 08:00-20:00; a 10:00-12:00 job holds them until 12:30 (+ travel).
    OrderFactory(
        provider=provider,
        status=OrderStatus.CONFIRMED,
        starts_at=datetime(2026, 3, 3, 10, 0, tzinfo=TEHRAN),
        ends_at=datetime(2026, 3, 3, 12, 0, tzinfo=TEHRAN),
    )
    params = {"service": service.code, "area": area.code, "day": TOMORROW, "home_area_sqm": 80}
    response = api.get(SLOTS_URL, params)
    assert response.status_code == 200
    body = response.json()
    assert (body["service"], body["area"], body["day"], body["minutes"]) == (
        "standard-home-cleaning",
        "north",
        TOMORROW,
        120,
    )
    # Two-hour jobs inside 08:00-20:00 keeping 30 minutes clear of the 10:00-12:00 job.
    assert body["start_times"] == [
        "12:30",
        "13:00",
        "13:30",
        "14:00",
        "14:30",
        "15:00",
        "15:30",
        "16:00",
        "16:30",
        "17:00",
        "17:30",
        "18:00",
    ]


@pytest.mark.requirement("R-ORD-1")
def test_slots_refuses_an_unknown_service_with_the_error_shape(api, now, area):
    params = {"service": "nope", "area": area.code, "day": TOMORROW, "home_area_sqm": 80}
    response = api.get(SLOTS_URL, params)
    assert response.status_code == 400
    assert response.json() == {"errors": {"service": ["Choose one of the services on the list."]}}


# --- Create -------------------------------------------------------------------------------


@pytest.mark.requirement("R-ORD-1", "R-ORD-2", "R-ORD-3")
def test_create_books_at_the_server_price_and_ignores_a_tampered_price(
    api, customer, now, service, area, provider, other_provider, django_capture_on_commit_callbacks
):
    data = booking(
        service,
        area,
        price="1",
        currency="USD",
        provider=other_provider.pk,
        status="confirmed",
        channel="web",
        minutes=10,
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = api.post(ORDERS_URL, data, format="json")
    assert response.status_code == 201
    order = Order.objects.get()
    assert (order.price, order.currency, order.status, order.provider) == (
        3700000,
        "IRR",
        OrderStatus.REQUESTED,
        None,
    )
    assert order.channel == Channel.API
    assert order.customer == customer
    assert order.duration == timedelta(minutes=120)
    # Matching starts once the order is committed (its outbox row is handed over then).
    assert OutboxTask.objects.filter(function="matching.tasks.match_order_task").count() == 1
    assert len([c for c in callbacks if c.__module__ == "core.outbox"]) == 2  # and the message
    body = response.json()
    assert body["id"] == order.pk
    assert (body["price"], body["currency"], body["status"], body["channel"]) == (
        "3700000.00",
        "IRR",
        "requested",
        "api",
    )
    assert body["starts_at"] == "2026-03-03T10:00:00+03:30"
    assert body["provider_name"] is None
    assert [(e["status"], e["reason"]) for e in body["timeline"]] == [
        ("requested", "Booked in the mobile app")
    ]
    event = OrderEvent.objects.get()
    assert (event.from_status, event.to_status, event.actor) == ("", "requested", customer)


BAD_INPUTS = [
    pytest.param(
        {"day": "2026-03-01"},
        {"day": ["Choose a time at least 60 minutes from now."]},
        id="past-date",
    ),
    pytest.param(
        {"service": "window-washing"},
        {"service": ["Choose one of the services on the list."]},
        id="unknown-service",
    ),
    pytest.param(
        {"area": "south"}, {"area": ["We do not serve this area yet."]}, id="area-not-served"
    ),
    pytest.param(
        {"home_area_sqm": 0},
        {"home_area_sqm": ["Ensure this value is greater than or equal to 1."]},
        id="zero-area",
    ),
    pytest.param(
        {"home_area_sqm": -40},
        {"home_area_sqm": ["Ensure this value is greater than or equal to 1."]},
        id="negative-area",
    ),
    pytest.param(
        {"home_area_sqm": "large"},
        {"home_area_sqm": ["Enter the area as a whole number of square metres."]},
        id="text-area",
    ),
    pytest.param(
        {"start": "20:30", "home_area_sqm": 200},  # four hours
        {"start": ["The job must end the same day; choose an earlier start."]},
        id="ends-after-midnight",
    ),
    pytest.param({"address": "  "}, {"address": ["This field may not be blank."]}, id="no-address"),
]


@pytest.mark.requirement("R-ORD-1")
@pytest.mark.parametrize(("overrides", "errors"), BAD_INPUTS)
def test_create_refuses_bad_input_with_the_error_shape_and_saves_nothing(
    api, now, service, area, provider, overrides, errors
):
    AreaFactory(code="south", name="South district", is_active=False)
    response = api.post(
        ORDERS_URL,
        booking(service, area, **overrides),
        format="json",
        headers={"Idempotency-Key": "bad-1"},
    )
    assert response.status_code == 400
    assert response.json() == {"errors": errors}
    assert nothing_saved() == (0, 0, 0)


@pytest.mark.requirement("R-ORD-1")
@pytest.mark.parametrize(("overrides", "errors"), BAD_INPUTS[:6])
def test_quote_refuses_the_same_bad_input(api, now, service, area, provider, overrides, errors):
    AreaFactory(code="south", name="South district", is_active=False)
    response = api.post(QUOTE_URL, quote_data(service, area, **overrides), format="json")
    assert response.status_code == 400
    assert response.json() == {"errors": errors}


@pytest.mark.requirement("R-ORD-1")
def test_missing_fields_are_named_in_the_error_shape(api, now):
    response = api.post(ORDERS_URL, {}, format="json")
    assert response.status_code == 400
    fields = ("service", "area", "day", "start", "address")  # home area or hours: by service
    assert response.json() == {"errors": {key: ["This field is required."] for key in fields}}


# --- Idempotency-Key ----------------------------------------------------------------------


@pytest.mark.requirement("R-ORD-1")
def test_a_repeat_with_the_same_key_replays_the_first_answer_and_books_nothing(
    api, customer, now, service, area, provider, django_capture_on_commit_callbacks
):
    data = booking(service, area)
    with django_capture_on_commit_callbacks(execute=False):
        first = api.post(ORDERS_URL, data, format="json", headers={"Idempotency-Key": "k-1"})
        second = api.post(ORDERS_URL, data, format="json", headers={"Idempotency-Key": "k-1"})
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Order.objects.count() == 1
    assert OrderEvent.objects.count() == 1
    # Matching was asked once.
    assert OutboxTask.objects.filter(function="matching.tasks.match_order_task").count() == 1
    record = IdempotencyKey.objects.get()
    assert (record.user, record.key, record.response_status) == (customer, "k-1", 201)
    assert record.response_body == first.json()
    assert len(record.request_fingerprint) == 64


@pytest.mark.requirement("R-ORD-1")
def test_the_fingerprint_ignores_key_order_in_the_body(api, now, service, area, provider):
    data = booking(service, area)
    api.post(ORDERS_URL, data, format="json", headers={"Idempotency-Key": "k-1"})
    reordered = dict(reversed(list(data.items())))
    again = api.post(ORDERS_URL, reordered, format="json", headers={"Idempotency-Key": "k-1"})
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert Order.objects.count() == 1


@pytest.mark.requirement("R-ORD-1", "R-ORD-2")
def test_the_same_key_with_a_different_body_is_refused(api, now, service, area, provider):
    api.post(ORDERS_URL, booking(service, area), format="json", headers={"Idempotency-Key": "k-1"})
    stored = IdempotencyKey.objects.get()
    response = api.post(
        ORDERS_URL,
        booking(service, area, price="1"),  # even a tampered price makes it another request
        format="json",
        headers={"Idempotency-Key": "k-1"},
    )
    assert response.status_code == 422
    assert response.json() == {
        "errors": {
            "idempotency_key": [
                "This Idempotency-Key was already used with a different request. "
                "Use a new key for a new request."
            ]
        }
    }
    assert "Idempotent-Replayed" not in response
    assert Order.objects.count() == 1
    assert IdempotencyKey.objects.get().response_body == stored.response_body


@pytest.mark.requirement("R-ORD-1")
def test_two_different_keys_make_two_orders(api, now, service, area, provider):
    data = booking(service, area)
    first = api.post(ORDERS_URL, data, format="json", headers={"Idempotency-Key": "k-1"})
    second = api.post(ORDERS_URL, data, format="json", headers={"Idempotency-Key": "k-2"})
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] != second.json()["id"]
    assert Order.objects.count() == 2
    assert IdempotencyKey.objects.count() == 2


@pytest.mark.requirement("R-SEC-3")
def test_one_customer_books_at_most_the_open_orders_limit(
    api, customer, now, service, area, provider, settings
):
    settings.MAX_OPEN_ORDERS_PER_CUSTOMER = 2
    data = booking(service, area)
    for n in range(2):
        response = api.post(ORDERS_URL, data, format="json", headers={"Idempotency-Key": f"o{n}"})
        assert response.status_code == 201
    refused = api.post(ORDERS_URL, data, format="json", headers={"Idempotency-Key": "o2"})
    assert refused.status_code == 400
    assert "2 open orders, as many as one account may have" in str(refused.json()["errors"])
    assert Order.objects.filter(customer=customer).count() == 2
    # A cancelled order frees its place; phone orders taken by an operator are not counted.
    first = Order.objects.filter(customer=customer).first()
    api.post(
        reverse("api:order_cancel", args=[first.pk]), {"reason": "changed plans"}, format="json"
    )
    again = api.post(ORDERS_URL, data, format="json", headers={"Idempotency-Key": "o3"})
    assert again.status_code == 201


@pytest.mark.requirement("R-ORD-1")
def test_keys_belong_to_one_customer(api, other_customer, now, service, area, provider):
    data = booking(service, area)
    mine = api.post(ORDERS_URL, data, format="json", headers={"Idempotency-Key": "k-1"})
    theirs = as_user(other_customer).post(
        ORDERS_URL, data, format="json", headers={"Idempotency-Key": "k-1"}
    )
    assert mine.status_code == theirs.status_code == 201
    assert "Idempotent-Replayed" not in theirs
    assert Order.objects.get(pk=theirs.json()["id"]).customer == other_customer
    assert Order.objects.count() == 2


@pytest.mark.requirement("R-ORD-1")
def test_a_refused_request_stores_no_key_and_can_be_corrected(api, now, service, area, provider):
    key = {"Idempotency-Key": "k-1"}
    bad = api.post(ORDERS_URL, booking(service, area, home_area_sqm=0), format="json", headers=key)
    good = api.post(ORDERS_URL, booking(service, area), format="json", headers=key)
    assert (bad.status_code, good.status_code) == (400, 201)
    assert Order.objects.count() == 1


@pytest.mark.requirement("R-ORD-1")
def test_an_overlong_key_is_refused(api, now, service, area, provider):
    response = api.post(
        ORDERS_URL, booking(service, area), format="json", headers={"Idempotency-Key": "k" * 101}
    )
    assert response.status_code == 400
    assert response.json() == {
        "errors": {"idempotency_key": ["An Idempotency-Key has at most 100 characters."]}
    }
    assert nothing_saved() == (0, 0, 0)


@pytest.mark.requirement("R-ORD-1")
@pytest.mark.django_db(transaction=True)
def test_concurrent_repeats_of_one_key_make_one_order(customer, service, area, provider):
    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent writers (PostgreSQL)")
    # Every request races to insert the key: the unique index must hold the losers until the
    # winner commits, and they replay its answer.
    day = (datetime.now(TEHRAN) + timedelta(days=2)).date().isoformat()
    data = booking(service, area, day=day)
    attempts = 8
    barrier = threading.Barrier(attempts)
    responses = []

    def post():
        try:
            client = as_user(customer)
            barrier.wait()
            response = client.post(
                ORDERS_URL, data, format="json", headers={"Idempotency-Key": "same"}
            )
            responses.append(response)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(responses) == attempts
    assert {response.status_code for response in responses} == {201}
    assert len({response.content for response in responses}) == 1
    replayed = [r for r in responses if r.headers.get("Idempotent-Replayed") == "true"]
    assert len(replayed) == attempts - 1
    assert Order.objects.filter(customer=customer).count() == 1
    assert IdempotencyKey.objects.count() == 1


# --- List, detail, cancel -----------------------------------------------------------------


@pytest.mark.requirement("R-ORD-1")
def test_list_shows_only_own_orders_newest_first(api, customer, other_customer):
    mine = [OrderFactory(customer=customer) for _ in range(3)]
    OrderFactory(customer=other_customer)
    response = api.get(ORDERS_URL)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert (body["next"], body["previous"]) == (None, None)
    assert [item["id"] for item in body["results"]] == [order.pk for order in reversed(mine)]
    assert body["results"][0] == {
        "id": mine[-1].pk,
        "status": "requested",
        "status_display": "Looking for a provider",
        "service": "standard-home-cleaning",
        "service_name": "Standard home cleaning",
        "starts_at": mine[-1].starts_at.astimezone(TEHRAN).isoformat(),
        "ends_at": mine[-1].ends_at.astimezone(TEHRAN).isoformat(),
        "price": "3700000.00",
        "currency": "IRR",
    }


@pytest.mark.requirement("R-ORD-1")
def test_list_runs_the_same_number_of_queries_for_5_or_20_orders(api, customer, provider):
    def queries_for_list():
        with CaptureQueriesContext(connection) as queries:
            response = api.get(ORDERS_URL)
        assert response.status_code == 200
        return len(response.json()["results"]), len(queries)

    OrderFactory.create_batch(5, customer=customer, provider=provider)
    five = queries_for_list()
    OrderFactory.create_batch(15, customer=customer, provider=provider)
    twenty = queries_for_list()
    assert (five[0], twenty[0]) == (5, 20)
    assert five[1] == twenty[1] == 2  # the count and the page


@pytest.mark.requirement("R-ORD-1")
def test_list_pages_by_twenty(api, customer):
    OrderFactory.create_batch(21, customer=customer)
    first = api.get(ORDERS_URL).json()
    assert (first["count"], len(first["results"])) == (21, 20)
    second = api.get(first["next"]).json()
    assert len(second["results"]) == 1


@pytest.mark.requirement("R-ORD-1", "R-ORD-3")
def test_detail_shows_own_order_with_its_timeline(api, customer, now, service, area, provider):
    order_id = api.post(ORDERS_URL, booking(service, area), format="json").json()["id"]
    response = api.get(reverse("api:order", args=[order_id]))
    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["address"], body["notes"], body["area"]) == (
        order_id,
        "12 Valiasr Street, unit 4",
        "Please use our own eco products",
        "north",
    )
    assert (body["is_cancellable"], body["cancellation_fee"]) == (True, None)
    assert body["timeline"] == [
        {
            "status": "requested",
            "status_display": "Looking for a provider",
            "reason": "Booked in the mobile app",
            "at": "2026-03-02T08:00:00+03:30",
        }
    ]


@pytest.mark.requirement("R-ORD-1")
def test_another_customers_order_is_not_found(api, other_customer):
    theirs = OrderFactory(customer=other_customer)
    for response in (
        api.get(reverse("api:order", args=[theirs.pk])),
        api.post(
            reverse("api:order_cancel", args=[theirs.pk]), {"reason": "mine now"}, format="json"
        ),
    ):
        assert response.status_code == 404
        assert response.json() == {"errors": {"non_field_errors": ["Not found."]}}
    theirs.refresh_from_db()
    assert theirs.status == OrderStatus.REQUESTED
    assert not theirs.events.exists()


@pytest.mark.requirement("R-ORD-3")
def test_cancel_uses_the_lifecycle_and_records_the_reason(api, customer, now):
    order = OrderFactory(customer=customer)
    response = api.post(
        reverse("api:order_cancel", args=[order.pk]), {"reason": "Plans changed"}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["is_cancellable"], body["cancellation_fee"]) == (
        "cancelled",
        False,
        "0.00",
    )
    assert body["timeline"][-1]["reason"] == "Plans changed"
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    event = order.events.get()
    assert (event.from_status, event.to_status, event.actor, event.reason) == (
        "requested",
        "cancelled",
        customer,
        "Plans changed",
    )


@pytest.mark.requirement("R-ORD-3")
@pytest.mark.parametrize("reason", [None, "", "   "])
def test_cancel_needs_a_reason(api, customer, reason):
    order = OrderFactory(customer=customer)
    data = {} if reason is None else {"reason": reason}
    response = api.post(reverse("api:order_cancel", args=[order.pk]), data, format="json")
    assert response.status_code == 400
    assert response.json() == {"errors": {"reason": ["Say why the order is cancelled."]}}
    order.refresh_from_db()
    assert order.status == OrderStatus.REQUESTED
    assert not order.events.exists()


@pytest.mark.requirement("R-ORD-3")
def test_a_forbidden_cancel_is_a_domain_error_in_the_error_shape(api, customer, provider):
    order = OrderFactory(customer=customer, provider=provider, status=OrderStatus.COMPLETED)
    response = api.post(
        reverse("api:order_cancel", args=[order.pk]), {"reason": "Too late"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {
        "errors": {"non_field_errors": ["This order is completed and cannot become cancelled."]}
    }
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    assert not order.events.exists()


# --- Who may call -------------------------------------------------------------------------

ENDPOINTS = [
    ("post", QUOTE_URL),
    ("get", SLOTS_URL),
    ("get", ORDERS_URL),
    ("post", ORDERS_URL),
    ("get", "/api/v1/orders/1"),
    ("post", "/api/v1/orders/1/cancel"),
]


@pytest.mark.requirement("R-ORD-1")
@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
def test_anonymous_callers_get_401(method, url):
    response = getattr(APIClient(), method)(url, {}, format="json")
    assert response.status_code == 401
    assert response.json() == {
        "errors": {"non_field_errors": ["Authentication credentials were not provided."]}
    }
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.requirement("R-ORD-1")
@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
def test_providers_and_operators_get_403(provider, operator, method, url):
    for user in (provider.user, operator):
        response = getattr(as_user(user), method)(url, {}, format="json")
        assert response.status_code == 403
        assert response.json() == {"errors": {"non_field_errors": ["Only customers can use this."]}}
    assert Order.objects.count() == 0


# --- Token auth ---------------------------------------------------------------------------


@pytest.mark.requirement("R-ORD-1")
@pytest.mark.parametrize("phone", ["09120000123", "0912 000 0123", "+989120000123"])
def test_token_auth_accepts_the_phone_in_local_or_international_form(phone):
    customer = CustomerFactory(phone="+989120000123")
    response = APIClient().post(TOKEN_URL, {"phone": phone, "password": PASSWORD}, format="json")
    assert response.status_code == 200
    token = response.json()["token"]
    assert ApiToken.objects.get(user=customer).key_hash == key_hash(token)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    listing = client.get(ORDERS_URL)
    assert listing.status_code == 200
    assert listing.json()["count"] == 0


@pytest.mark.requirement("R-ORD-1")
def test_token_auth_refuses_a_wrong_password_and_non_customers(provider):
    CustomerFactory(phone="+989120000123")
    wrong = APIClient().post(TOKEN_URL, {"phone": "09120000123", "password": "nope"}, format="json")
    assert wrong.status_code == 400
    assert wrong.json() == {
        "errors": {"non_field_errors": ["The phone number or password is not right."]}
    }
    provider_user = APIClient().post(
        TOKEN_URL, {"phone": str(provider.user.phone), "password": PASSWORD}, format="json"
    )
    assert provider_user.status_code == 403
    assert provider_user.json() == {
        "errors": {"non_field_errors": ["Only customers can use this."]}
    }
    assert not ApiToken.objects.exists()


@pytest.mark.requirement("R-ORD-1")
def test_token_auth_stops_after_ten_failures():
    customer = CustomerFactory(phone="+989120000123")
    client = APIClient()
    for _attempt in range(10):
        response = client.post(TOKEN_URL, {"phone": "09120000123", "password": "x"}, format="json")
        assert response.status_code == 400
    right = client.post(TOKEN_URL, {"phone": "09120000123", "password": PASSWORD}, format="json")
    assert right.status_code == 429
    assert list(right.json()["errors"]) == ["non_field_errors"]
    assert not ApiToken.objects.filter(user=customer).exists()


# --- Language -----------------------------------------------------------------------------


@pytest.mark.requirement("R-ORD-1", "R-I18N-1")
def test_errors_follow_accept_language(api, now, service, area, provider):
    response = api.post(
        ORDERS_URL,
        booking(service, area, day="2026-03-01", address=""),
        format="json",
        headers={"Accept-Language": "fa"},
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {"address"}  # field errors come before the booking rules
    assert errors["address"] != ["This field may not be blank."]
    past = api.post(
        ORDERS_URL,
        booking(service, area, day="2026-03-01"),
        format="json",
        headers={"Accept-Language": "fa"},
    )
    assert past.json() == {
        "errors": {"day": ["زمانی را انتخاب کنید که دست‌کم 60 دقیقه بعد از اکنون باشد."]}
    }
    assert nothing_saved() == (0, 0, 0)


# --- OpenAPI ------------------------------------------------------------------------------


@pytest.mark.requirement("R-ORD-1")
def test_the_schema_documents_every_operation_with_a_success_body(client):
    response = client.get(reverse("api_schema"), {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    operations = {
        (path, method): operation
        for path, item in schema["paths"].items()
        for method, operation in item.items()
    }
    assert set(operations) == {
        ("/api/v1/auth/token", "post"),
        ("/api/v1/auth/logout", "post"),
        ("/api/v1/quote", "post"),
        ("/api/v1/slots", "get"),
        ("/api/v1/orders", "get"),
        ("/api/v1/orders", "post"),
        ("/api/v1/orders/{id}", "get"),
        ("/api/v1/orders/{id}/cancel", "post"),
        ("/api/v1/orders/{id}/new-times", "get"),
        ("/api/v1/orders/{id}/reschedule", "post"),
        ("/api/v1/orders/{id}/repeat-agreement", "get"),
        ("/api/v1/series", "get"),
        ("/api/v1/series", "post"),
        ("/api/v1/series/{id}/pause", "post"),
        ("/api/v1/series/{id}/resume", "post"),
        ("/api/v1/series/{id}/end", "post"),
        ("/api/v1/orders/{id}/recommendations", "get"),
        ("/api/v1/orders/{id}/recommendations/choose", "post"),
        ("/api/v1/orders/{id}/recommendations/others", "post"),
        ("/api/v1/orders/{id}/payments", "post"),
        ("/api/v1/payments/{reference}", "get"),
        ("/api/v1/wallet", "get"),
    }
    for key, operation in operations.items():
        success = [code for code in operation["responses"] if code.startswith("2")]
        assert success, key
        for code in success:
            assert operation["responses"][code]["content"]["application/json"]["schema"], key
    create = operations[("/api/v1/orders", "post")]
    assert {p["name"] for p in create["parameters"]} == {"Idempotency-Key"}
    assert "422" in create["responses"]
    order_fields = schema["components"]["schemas"]["OrderCreateIn"]["properties"]
    assert not {"price", "provider", "status", "currency"} & set(order_fields)


@pytest.mark.requirement("R-ORD-1")
def test_swagger_ui_is_served_without_a_cdn(client):
    response = client.get(reverse("api_docs"))
    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in assets
    # Every asset from this site: the sidecar's files, and the page's own script (served as a
    # file by the split view, so the Content-Security-Policy needs no inline script).
    own_script = reverse("api_docs") + "?script="
    assert own_script in assets
    assert all(
        url.startswith("/static/drf_spectacular_sidecar/") or url == own_script for url in assets
    ), assets
    assert client.get(own_script).status_code == 200
    assert "cdn" not in html.lower()
    assert "unpkg" not in html.lower()


@pytest.mark.requirement("R-ORD-1")
def test_keys_older_than_a_day_are_purged_hourly(customer, time_machine):
    def key(name):
        return IdempotencyKey.objects.create(
            user=customer,
            key=name,
            request_fingerprint="0" * 64,
            response_status=201,
            response_body={},
        )

    time_machine.move_to(NOW, tick=False)
    old = key("old")
    time_machine.move_to(NOW + timedelta(hours=23), tick=False)
    recent = key("recent")
    time_machine.move_to(NOW + timedelta(hours=24, seconds=1), tick=False)
    assert purge_idempotency_keys_task.delay().get() == 1
    assert list(IdempotencyKey.objects.all()) == [recent]
    assert not IdempotencyKey.objects.filter(pk=old.pk).exists()
    entry = celery_app.conf.beat_schedule["purge-idempotency-keys"]
    assert entry["task"] == "orders.tasks.purge_idempotency_keys_task"
