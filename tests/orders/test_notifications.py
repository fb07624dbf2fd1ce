"""Order notifications (issue 4): order received, on the way, completed and rate now, and the
reminder the day before. Each goes once, to the right person, in their language, on commit."""

import re
from datetime import datetime, time, timedelta

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from orders.models import Channel, Order, OrderEvent, OrderStatus
from orders.services import booking, common, lifecycle
from orders.tasks import send_day_before_reminders_task
from tests.factories import CustomerFactory, OrderFactory, local_datetime

from .contract_factories import sign_both
from .execution_helpers import REPORT, check_in

pytestmark = pytest.mark.django_db

CYRILLIC = re.compile("[\\u0400-\\u04ff]{4}")
PERSIAN = re.compile("[\\u0600-\\u06ff]{4}")


def texts_to(outbox, user):
    return [sms["text"] for sms in outbox if sms["to"] == str(user.phone)]


def booking_request(service, area):
    return booking.BookingRequest(
        service_type=service,
        area=area,
        address="12 Valiasr Street",
        day=timezone.localdate() + timedelta(days=2),
        start=time(10),
        home_area_sqm=80,
    )


@pytest.fixture(autouse=True)
def _noon(time_machine):
    """Today at 12:00 local time, so "later today" and "tomorrow" never straddle midnight."""
    time_machine.move_to(
        timezone.make_aware(datetime.combine(timezone.localdate(), time(12))), tick=False
    )


@pytest.fixture(autouse=True)
def _someone_is_free(provider):
    """A provider who can take the bookings made here (check_booking refuses a time when
    nobody is free)."""


@pytest.fixture
def confirmed(customer, provider, service, area):
    order = OrderFactory(
        customer=customer,
        provider=provider,
        service_type=service,
        area=area,
        status=OrderStatus.CONFIRMED,
        starts_at=local_datetime(0, 14),
        ends_at=local_datetime(0, 16),
    )
    sign_both(order)
    return order


@pytest.mark.requirement("R-ORD-1")
@pytest.mark.parametrize("channel", [Channel.WEB, Channel.API, Channel.PHONE])
def test_a_booked_order_is_acknowledged_to_the_customer_once_with_its_details(
    customer, service, area, sms_outbox, mailoutbox, django_capture_on_commit_callbacks, channel
):
    customer.email = "sara@example.com"
    customer.save()
    with django_capture_on_commit_callbacks(execute=True):
        order = booking.book_order(
            customer=customer,
            booking=booking.check_booking(booking_request(service, area)),
            channel=channel,
        )
    when = timezone.localtime(order.starts_at).strftime("%Y-%m-%d 10:00")
    received = [text for text in texts_to(sms_outbox, customer) if "received" in text]
    assert received == [
        f"Order #{order.pk} received: Standard home cleaning on {when}, 3,700,000 IRR. "
        "We are finding a provider."
    ]
    mail = [m for m in mailoutbox if m.subject == f"We have received your order #{order.pk}"]
    assert len(mail) == 1
    assert mail[0].to == ["sara@example.com"]
    assert "The price is 3,700,000 IRR." in mail[0].body


@pytest.mark.requirement("R-ORD-1")
def test_nothing_is_sent_when_the_booking_is_rolled_back(
    customer, service, area, sms_outbox, mailoutbox, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        booking.book_order(
            customer=customer, booking=booking.check_booking(booking_request(service, area))
        )
        raise RuntimeError("rolled back")
    assert callbacks == []
    assert sms_outbox == []
    assert mailoutbox == []
    assert Order.objects.count() == 0


@pytest.mark.requirement("R-ORD-1")
def test_the_order_received_message_is_in_the_customers_language(
    service, area, sms_outbox, django_capture_on_commit_callbacks
):
    customer = CustomerFactory(preferred_language="fa")
    with django_capture_on_commit_callbacks(execute=True):
        order = booking.book_order(
            customer=customer, booking=booking.check_booking(booking_request(service, area))
        )
    (received,) = [text for text in texts_to(sms_outbox, customer) if "دریافت شد" in text]
    assert received.startswith(f"سفارش شماره {order.pk} دریافت شد: ")  # "order N received"
    assert "received" not in received


@pytest.mark.requirement("R-ORD-6")
def test_the_provider_on_the_way_is_announced_once_to_the_customer(
    confirmed, customer, provider, sms_outbox, django_capture_on_commit_callbacks
):
    for _attempt in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            lifecycle.announce_departure(order=confirmed, provider=provider)
    events = OrderEvent.objects.filter(order=confirmed, reason="The provider is on the way")
    assert list(events.values_list("from_status", "to_status", "actor")) == [
        ("confirmed", "confirmed", provider.user.pk)
    ]
    assert texts_to(sms_outbox, customer) == [
        f"Order #{confirmed.pk}: {provider.user.first_name} is on the way to you."
    ]
    assert texts_to(sms_outbox, provider.user) == []
    confirmed.refresh_from_db()
    assert confirmed.status == OrderStatus.CONFIRMED


@pytest.mark.requirement("R-ORD-6")
def test_the_on_the_way_message_is_in_the_customers_language(
    confirmed, customer, provider, sms_outbox, django_capture_on_commit_callbacks
):
    customer.preferred_language = "ru"
    customer.save()
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.announce_departure(order=confirmed, provider=provider)
    (text,) = texts_to(sms_outbox, customer)
    assert "on the way" not in text
    assert CYRILLIC.search(text)


@pytest.mark.requirement("R-ORD-6")
def test_only_the_assigned_provider_may_announce_and_only_a_confirmed_job(
    confirmed, other_provider, provider, sms_outbox, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(common.OrderError, match="not assigned to you"),
    ):
        lifecycle.announce_departure(order=confirmed, provider=other_provider)
    requested = OrderFactory(provider=provider, status=OrderStatus.REQUESTED)
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(common.OrderError, match="only to a confirmed job"),
    ):
        lifecycle.announce_departure(order=requested, provider=provider)
    assert OrderEvent.objects.filter(reason="The provider is on the way").count() == 0
    assert sms_outbox == []


@pytest.mark.requirement("R-ORD-6")
def test_the_dashboard_button_announces_and_others_jobs_are_a_404(
    client,
    confirmed,
    customer,
    provider,
    other_provider,
    sms_outbox,
    django_capture_on_commit_callbacks,
):
    url = reverse("orders:job_on_the_way", args=[confirmed.pk])
    client.force_login(other_provider.user)
    assert client.post(url).status_code == 404
    client.force_login(provider.user)
    assert url.encode() in client.get(reverse("matching:dashboard")).content
    assert client.get(url).status_code == 405
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("matching:dashboard")
    assert len(texts_to(sms_outbox, customer)) == 1
    assert OrderEvent.objects.filter(reason="The provider is on the way").count() == 1


@pytest.mark.requirement("R-ORD-6")
def test_the_dashboard_offers_the_button_only_on_the_jobs_day(client, provider):
    tomorrow = OrderFactory(provider=provider, status=OrderStatus.CONFIRMED)
    sign_both(tomorrow)
    client.force_login(provider.user)
    content = client.get(reverse("matching:dashboard")).content
    assert reverse("orders:job_detail", args=[tomorrow.pk]).encode() in content
    assert reverse("orders:job_on_the_way", args=[tomorrow.pk]).encode() not in content


@pytest.mark.requirement("R-QC-1")
def test_completing_a_job_invites_the_customer_to_rate_it_with_a_link_and_deadline(
    confirmed,
    customer,
    provider,
    sms_outbox,
    mailoutbox,
    settings,
    time_machine,
    django_capture_on_commit_callbacks,
):
    settings.SITE_URL = "https://homeservices.example"
    settings.RATING_WINDOW_HOURS = 24
    customer.email = "sara@example.com"
    customer.save()
    check_in(confirmed)
    lifecycle.start_job(order=confirmed, provider=provider)
    done_at = timezone.make_aware(datetime.combine(timezone.localdate(), time(18, 5)))
    time_machine.move_to(done_at, tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.complete_job(order=confirmed, provider=provider, summary=REPORT)
    link = f"https://homeservices.example/reviews/orders/{confirmed.pk}/rate/"
    until = timezone.localtime(done_at + timedelta(hours=24)).strftime("%Y-%m-%d %H:%M")
    assert texts_to(sms_outbox, customer) == [
        f"Order #{confirmed.pk} is completed. Rate it by {until}: {link}"
    ]
    (mail,) = [m for m in mailoutbox if "please rate it" in m.subject]
    assert mail.to == ["sara@example.com"]
    assert link in mail.body
    assert until in mail.body
    assert f"What was done, in the provider's words: {REPORT}" in mail.body  # R-ORD-6


@pytest.mark.requirement("R-QC-1")
def test_nothing_is_sent_when_completing_is_rolled_back(
    confirmed, provider, sms_outbox, django_capture_on_commit_callbacks
):
    check_in(confirmed)
    lifecycle.start_job(order=confirmed, provider=provider)
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        lifecycle.complete_job(order=confirmed, provider=provider, summary=REPORT)
        raise RuntimeError("rolled back")
    assert sms_outbox == []
    confirmed.refresh_from_db()
    assert confirmed.status == OrderStatus.IN_PROGRESS


@pytest.fixture
def tomorrow_job(customer, provider, service, area):
    return OrderFactory(
        customer=customer,
        provider=provider,
        service_type=service,
        area=area,
        status=OrderStatus.CONFIRMED,
        starts_at=local_datetime(1, 9),
        ends_at=local_datetime(1, 11),
        address="7 Enghelab Street",
    )


@pytest.mark.requirement("R-ORD-6")
def test_the_day_before_both_parties_are_reminded_once_even_when_run_twice(
    tomorrow_job, customer, provider, sms_outbox, django_capture_on_commit_callbacks
):
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        assert send_day_before_reminders_task.delay().get() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert send_day_before_reminders_task.delay().get() == 0
    when = timezone.localtime(tomorrow_job.starts_at).strftime("%Y-%m-%d %H:%M")
    assert texts_to(sms_outbox, customer) == [
        f"Reminder: {provider.user.first_name} comes tomorrow, {when}, "
        f"for order #{tomorrow_job.pk}."
    ]
    assert texts_to(sms_outbox, provider.user) == [
        f"Reminder: job #{tomorrow_job.pk} is tomorrow, {when}, at 7 Enghelab Street."
    ]
    tomorrow_job.refresh_from_db()
    assert tomorrow_job.reminder_sent_at == now


@pytest.mark.requirement("R-ORD-6")
def test_the_reminder_is_in_each_recipients_language(
    tomorrow_job, customer, provider, sms_outbox, django_capture_on_commit_callbacks
):
    customer.preferred_language = "fa"
    customer.save()
    provider.user.preferred_language = "ru"
    provider.user.save()
    with django_capture_on_commit_callbacks(execute=True):
        assert send_day_before_reminders_task() == 1
    (to_customer,) = texts_to(sms_outbox, customer)
    (to_provider,) = texts_to(sms_outbox, provider.user)
    assert PERSIAN.search(to_customer) and "Reminder" not in to_customer
    assert CYRILLIC.search(to_provider) and "Reminder" not in to_provider


@pytest.mark.requirement("R-ORD-6")
def test_the_reminder_skips_jobs_not_tomorrow_not_confirmed_or_already_reminded(
    customer, provider, sms_outbox, django_capture_on_commit_callbacks
):
    now = timezone.now()
    skipped = [
        OrderFactory(
            customer=customer,
            status=OrderStatus.CONFIRMED,
            provider=provider,
            starts_at=local_datetime(2, 9),
            ends_at=local_datetime(2, 11),
        ),
        OrderFactory(
            customer=customer,
            status=OrderStatus.CONFIRMED,
            provider=provider,
            starts_at=local_datetime(0, 23),
            ends_at=local_datetime(0, 23, 30),
        ),
        OrderFactory(
            customer=customer,
            status=OrderStatus.REQUESTED,
            starts_at=local_datetime(1, 9),
            ends_at=local_datetime(1, 11),
        ),
        OrderFactory(
            customer=customer,
            status=OrderStatus.CANCELLED,
            provider=provider,
            starts_at=local_datetime(1, 12),
            ends_at=local_datetime(1, 14),
        ),
        OrderFactory(
            customer=customer,
            status=OrderStatus.CONFIRMED,
            provider=provider,
            starts_at=local_datetime(1, 15),
            ends_at=local_datetime(1, 17),
            reminder_sent_at=now - timedelta(hours=1),
        ),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        assert send_day_before_reminders_task() == 0
    assert sms_outbox == []
    assert [o.reminder_sent_at for o in Order.objects.order_by("pk")] == [
        None,
        None,
        None,
        None,
        skipped[-1].reminder_sent_at,
    ]


@pytest.mark.requirement("R-ORD-6")
def test_a_reminder_rolled_back_is_not_sent_and_stays_due(
    tomorrow_job, sms_outbox, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        send_day_before_reminders_task()
        raise RuntimeError("rolled back")
    assert sms_outbox == []
    tomorrow_job.refresh_from_db()
    assert tomorrow_job.reminder_sent_at is None
