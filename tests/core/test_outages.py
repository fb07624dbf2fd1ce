"""Outages lose nothing and never answer 500 (R-SEC-4): every entry point with the cache's
Redis closed and with the broker's; the outbox hands waiting work over once the broker is back,
does it once however often it is handed over, and drops what comes too late; a provider who
may no longer take jobs keeps no offer."""

from datetime import time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from core.kept import forget_everything
from core.models import MessageStatus, OutboxTask, OutgoingMessage
from core.notifications import notify_user
from core.outbox import after_commit, publish, relay, run_outbox_row, run_outbox_task
from matching.models import Offer, OfferStatus
from matching.services.offers import accept_offer, make_offer
from orders.models import Order, OrderStatus
from orders.services.booking import BookingRequest, book_order, check_booking
from providers.models import ProviderStatus
from providers.services import suspend_provider
from tests.factories import (
    PASSWORD,
    CustomerFactory,
    OperatorFactory,
    OrderFactory,
    ProviderFactory,
    local_datetime,
)

pytestmark = [pytest.mark.django_db, pytest.mark.requirement("R-SEC-4")]

TOMORROW = (timezone.localdate() + timedelta(days=1)).isoformat()


@pytest.fixture
def cache_down(settings):
    """The cache's Redis is unreachable (the broker is another matter: see `broker_down`)."""
    settings.CACHES = {
        "default": {"BACKEND": "config.cache.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }
    forget_everything()
    yield
    forget_everything()


def book_on_the_web(client, service, area):
    data = {
        "service_type": service.pk,
        "area": area.pk,
        "address": "12 Valiasr Street",
        "day": TOMORROW,
        "start": "10:00",
        "home_area_sqm": 80,
        "confirm": "1",
    }
    return client.post(reverse("orders:book"), data)


def test_with_the_cache_down_every_door_answers(
    client, cache_down, customer, provider, service, area, sms_outbox, settings
):
    settings.MATCHING_MODE = "auto"
    CustomerFactory(phone="+989123456789")
    # Pages, the login, the application's code, the booking and its matching.
    assert client.get(reverse("home")).status_code == 200
    response = client.post(
        reverse("accounts:login"), {"username": "09123456789", "password": PASSWORD}
    )
    assert response.status_code == 302
    client.logout()
    assert client.post(reverse("providers:apply"), {"phone": "09123000001"}).status_code == 302
    client.force_login(customer)
    response = book_on_the_web(client, service, area)
    assert response.status_code == 302, response.content.decode()[:500]
    order = Order.objects.get(customer=customer)
    assert client.get(reverse("orders:detail", args=[order.pk])).status_code == 200
    # The API: a token, a quote, the free start times, a booking.
    api = APIClient()
    response = api.post(
        reverse("accounts_api:token"),
        {"phone": "09123456789", "password": PASSWORD},
        format="json",
    )
    assert response.status_code == 200
    api.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    query = {"service": service.code, "area": area.code, "day": TOMORROW, "home_area_sqm": 80}
    assert api.get(reverse("api:slots"), query).status_code == 200
    assert (
        api.post(reverse("api:quote"), {**query, "start": "11:00"}, format="json").status_code
        == 200
    )
    created = api.post(
        reverse("api:orders"), {**query, "start": "14:00", "address": "1 Main St"}, format="json"
    )
    assert created.status_code == 201
    # The operator's pages that read kept values.
    client.force_login(OperatorFactory())
    assert client.get(reverse("matching:candidates", args=[order.pk])).status_code == 200
    assert client.get(reverse("admin:index")).status_code == 200


def test_with_the_broker_down_bookings_answer_and_the_relay_delivers_each_message_once(
    client,
    broker_down,
    customer,
    provider,
    service,
    area,
    sms_outbox,
    settings,
    django_capture_on_commit_callbacks,
    time_machine,
):
    settings.MATCHING_MODE = "auto"
    client.force_login(customer)
    with broker_down(), django_capture_on_commit_callbacks(execute=True):
        response = book_on_the_web(client, service, area)
    assert response.status_code == 302
    order = Order.objects.get(customer=customer)
    assert order.status == OrderStatus.REQUESTED
    assert sms_outbox == []
    assert OutboxTask.objects.filter(done_at__isnull=True).count() == 2
    # The broker is back; beat's relay runs, and runs again: each thing happens once.
    time_machine.move_to(timezone.now() + timedelta(minutes=1))
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            relay()
    order.refresh_from_db()
    assert order.status == OrderStatus.OFFERED
    to_customer = [m for m in sms_outbox if m["to"] == str(customer.phone)]
    to_provider = [m for m in sms_outbox if m["to"] == str(provider.user.phone)]
    assert len(to_customer) == 1 and len(to_provider) == 1
    assert "New job offer" in to_provider[0]["text"]


def test_one_failed_hand_over_per_request_however_many_orders_it_reopens(
    broker_down, provider, service, area, monkeypatch, django_capture_on_commit_callbacks
):
    """Accepting an offer withdraws the provider's clashing offers and reopens those orders:
    with the broker down the request waits for one failed connection, not one per order."""
    offers = []
    for _ in range(12):
        order = OrderFactory(service_type=service, area=area, starts_at=local_datetime(1, 10))
        offers.append(make_offer(order=order, provider_id=provider.pk, reason="test"))
    attempts = []
    real_apply_async = run_outbox_task.apply_async

    def counting_apply_async(*args, **kwargs):
        attempts.append(args)
        return real_apply_async(*args, **kwargs)

    monkeypatch.setattr(run_outbox_task, "apply_async", counting_apply_async)
    with broker_down(), django_capture_on_commit_callbacks(execute=True):
        accept_offer(offer=offers[0], provider=provider)
    assert len(attempts) == 1
    reopened = Order.objects.filter(status=OrderStatus.REQUESTED).count()
    assert reopened == 11
    # Nothing is lost: the reopened orders' matching and the messages wait for the relay.
    waiting = OutboxTask.objects.filter(done_at__isnull=True, published_at__isnull=True)
    assert waiting.filter(function="matching.tasks.match_order_task").count() == 11


def test_work_handed_over_twice_is_done_once(
    customer, sms_outbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        [message] = notify_user(
            user=customer,
            template="orders/notifications/order_received",
            context={"order": OrderFactory(customer=customer)},
        )
    row = OutboxTask.objects.get(function="core.notifications.deliver_message")
    assert run_outbox_row(row.pk) == "done"
    assert run_outbox_row(row.pk) == "done before"  # a redelivered message
    assert len(sms_outbox) == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT and message.sent_at is not None


def test_an_offer_message_that_comes_after_the_offer_expired_is_dropped(
    provider, service, area, sms_outbox, time_machine, django_capture_on_commit_callbacks
):
    order = OrderFactory(service_type=service, area=area)
    with django_capture_on_commit_callbacks(execute=False):
        offer = make_offer(order=order, provider_id=provider.pk, reason="test")
    row = OutboxTask.objects.get(function="matching.notifications.tell_provider_about_offer")
    assert row.not_after == offer.expires_at
    # The worker was killed; the message waited out the broker's visibility timeout.
    time_machine.move_to(offer.expires_at + timedelta(minutes=1))
    assert run_outbox_row(row.pk) == "dropped"
    assert sms_outbox == []
    assert not OutgoingMessage.objects.filter(template__endswith="new_offer").exists()


def test_a_message_past_its_moment_is_not_sent(customer, sms_outbox, time_machine):
    [message] = notify_user(
        user=customer,
        template="orders/notifications/order_received",
        context={"order": OrderFactory(customer=customer)},
        not_after=timezone.now() + timedelta(minutes=5),
    )
    time_machine.move_to(timezone.now() + timedelta(minutes=6))
    from core.notifications import deliver_message

    assert deliver_message(message.pk) == MessageStatus.DROPPED
    assert sms_outbox == []


def test_a_suspended_provider_keeps_no_offer_and_the_order_goes_on_at_once(
    service, area, settings, django_capture_on_commit_callbacks
):
    settings.MATCHING_MODE = "auto"
    first = ProviderFactory(user__full_name="First Provider", rating_average=5.0, rating_count=20)
    second = ProviderFactory(user__full_name="Second Provider")
    order = OrderFactory(service_type=service, area=area, starts_at=local_datetime(1, 10))
    offer = make_offer(order=order, provider_id=first.pk, reason="test")
    with django_capture_on_commit_callbacks(execute=True):
        suspend_provider(
            provider=first, actor=OperatorFactory(), reason="Complaints", retrain=False
        )
    first.refresh_from_db()
    assert first.status == ProviderStatus.SUSPENDED
    offer.refresh_from_db()
    assert offer.status == OfferStatus.WITHDRAWN
    new_offer = Offer.objects.get(order=order, status=OfferStatus.PENDING)
    assert new_offer.provider == second


def test_the_relay_leaves_work_done_and_hands_over_what_a_lost_queue_held(
    customer, sms_outbox, time_machine, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        row = after_commit(notify_user_by_id, customer.pk)
    # Handed over once, then the queue was lost (Redis restarted): not done.
    OutboxTask.objects.filter(pk=row.pk).update(published_at=timezone.now(), attempts=1)
    assert relay() == 0  # too early to call it lost
    time_machine.move_to(timezone.now() + timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert relay() == 1
    row.refresh_from_db()
    assert row.done_at is not None
    assert len(sms_outbox) == 1
    assert publish([], relaying=True) == 0


def notify_user_by_id(user_id: int) -> None:
    """A function the outbox can name (module-level), as every service's notification is."""
    from accounts.models import User

    notify_user(
        user=User.objects.get(pk=user_id),
        template="orders/notifications/order_received",
        context={"order": OrderFactory(customer_id=user_id)},
    )


def test_bookings_with_the_broker_down_are_booked(customer, provider, service, area, broker_down):
    request = BookingRequest(
        service_type=service,
        area=area,
        address="1 Main St",
        day=timezone.localdate() + timedelta(days=1),
        start=time(9),
        home_area_sqm=80,
    )
    with broker_down():
        order = book_order(customer=customer, booking=check_booking(request))
    assert Order.objects.filter(pk=order.pk, status=OrderStatus.REQUESTED).exists()


class KeyedGateway:
    """A gateway that keeps client references, as Kavenegar's `localid` does: a second send of
    one key is dropped. It also records every call it got."""

    calls: list[dict] = []
    delivered: dict[str, str] = {}

    def send(self, *, to, text, key=None):
        KeyedGateway.calls.append({"to": to, "key": key})
        KeyedGateway.delivered.setdefault(key, text)


def test_a_send_retried_after_a_worker_died_reaches_the_phone_once(customer, settings):
    """The worker died after the gateway took the SMS and before our commit: the message is
    still pending and is sent again, with the same key, which the gateway drops."""
    settings.SMS_BACKEND = f"{__name__}.KeyedGateway"
    KeyedGateway.calls, KeyedGateway.delivered = [], {}
    from django.db import transaction

    from core.notifications import deliver_message

    [message] = notify_user(
        user=customer,
        template="orders/notifications/order_received",
        context={"order": OrderFactory(customer=customer)},
    )
    KeyedGateway.calls, KeyedGateway.delivered = [], {}  # the eager delivery above aside
    OutgoingMessage.objects.filter(pk=message.pk).update(status=MessageStatus.PENDING)

    class WorkerKilled(Exception):
        pass

    with pytest.raises(WorkerKilled), transaction.atomic():
        deliver_message(message.pk)
        raise WorkerKilled  # before the commit: the message is still pending
    message.refresh_from_db()
    assert message.status == MessageStatus.PENDING
    assert deliver_message(message.pk) == MessageStatus.SENT
    assert [call["key"] for call in KeyedGateway.calls] == [f"message-{message.pk}"] * 2
    assert len(KeyedGateway.delivered) == 1
