"""Cancellation with a policy and rescheduling (R-ORD-3): free until FREE_CANCELLATION_HOURS
before the start, later a fee on the customer's balance; the provider's slot is released."""

from datetime import time, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from ledger.models import AccountKind, JournalEntry
from ledger.selectors import customer_balance
from matching import services as matching_services
from matching.models import Offer, OfferStatus
from matching.selectors import candidates_for
from orders.models import OrderEvent, OrderStatus
from orders.services import common, lifecycle
from tests.factories import OrderFactory, local_datetime

pytestmark = pytest.mark.django_db

PRICE = Decimal("3700005")  # 30 % is 1,110,001.5: rounded half up to whole units
FEE = Decimal("1110002")


@pytest.fixture(autouse=True)
def _policy(settings):
    settings.FREE_CANCELLATION_HOURS = 24
    settings.LATE_CANCELLATION_FEE_PERCENT = 30
    settings.TRAVEL_BUFFER_MINUTES = 30


@pytest.fixture
def confirmed(customer, provider, service, area):
    return OrderFactory(
        customer=customer,
        provider=provider,
        service_type=service,
        area=area,
        status=OrderStatus.CONFIRMED,
        starts_at=local_datetime(3, 10),
        ends_at=local_datetime(3, 12),
        price=PRICE,
    )


def freeze(time_machine, at):
    time_machine.move_to(at, tick=False)


@pytest.mark.requirement("R-ORD-3")
def test_cancelling_exactly_at_the_free_limit_costs_nothing(confirmed, customer, time_machine):
    freeze(time_machine, confirmed.starts_at - timedelta(hours=24))
    lifecycle.cancel_order(order=confirmed, actor=customer, reason="Plans changed")
    confirmed.refresh_from_db()
    assert confirmed.status == OrderStatus.CANCELLED
    assert confirmed.cancellation_fee == Decimal("0")
    assert JournalEntry.objects.count() == 0
    assert customer_balance(customer=customer, currency="IRR") == Decimal("0")


@pytest.mark.requirement("R-ORD-3", "R-SUP-7")
def test_cancelling_one_second_late_charges_the_fee_to_the_balance(
    confirmed, customer, time_machine
):
    freeze(time_machine, confirmed.starts_at - timedelta(hours=24) + timedelta(seconds=1))
    terms = lifecycle.cancellation_terms(confirmed)
    assert (terms.fee, terms.currency, terms.is_free) == (FEE, "IRR", False)
    assert terms.free_until == confirmed.starts_at - timedelta(hours=24)
    lifecycle.cancel_order(order=confirmed, actor=customer, reason="Plans changed")
    confirmed.refresh_from_db()
    assert confirmed.status == OrderStatus.CANCELLED
    assert confirmed.cancellation_fee == FEE
    entry = JournalEntry.objects.get()
    assert (entry.cause, entry.cause_id, entry.created_by, entry.memo) == (
        "order",
        confirmed.pk,
        customer,
        "Late cancellation fee",
    )
    owed = entry.lines.get(account__kind=AccountKind.CUSTOMER_DUE)
    assert (owed.account.holder, owed.amount, owed.currency) == (customer, -FEE * 100, "IRR")
    assert entry.lines.get(account__kind=AccountKind.REVENUE).amount == FEE * 100
    assert customer_balance(customer=customer, currency="IRR") == -FEE


@pytest.mark.requirement("R-ORD-3")
def test_an_order_nobody_has_taken_yet_is_free_to_cancel_late(customer, time_machine):
    order = OrderFactory(customer=customer, status=OrderStatus.NO_PROVIDER, price=PRICE)
    freeze(time_machine, order.starts_at - timedelta(hours=1))
    lifecycle.cancel_order(order=order, actor=customer, reason="Too late to find anyone")
    order.refresh_from_db()
    assert (order.status, order.cancellation_fee) == (OrderStatus.CANCELLED, Decimal("0"))
    assert JournalEntry.objects.count() == 0


@pytest.mark.requirement("R-ORD-3")
def test_an_operator_may_waive_the_late_fee(confirmed, customer, operator, time_machine):
    freeze(time_machine, confirmed.starts_at - timedelta(hours=2))
    lifecycle.cancel_order(
        order=confirmed, actor=operator, reason="Customer is in hospital", waive_fee=True
    )
    confirmed.refresh_from_db()
    assert (confirmed.status, confirmed.cancellation_fee) == (OrderStatus.CANCELLED, Decimal(0))
    assert JournalEntry.objects.count() == 0
    assert list(confirmed.events.values_list("from_status", "to_status", "actor", "reason")) == [
        ("confirmed", "cancelled", operator.pk, "Customer is in hospital"),
        ("cancelled", "cancelled", operator.pk, "Cancellation fee waived"),
    ]


@pytest.mark.requirement("R-ORD-3")
def test_a_customer_cannot_waive_the_fee(confirmed, customer, time_machine):
    freeze(time_machine, confirmed.starts_at - timedelta(hours=2))
    with pytest.raises(common.OrderError) as error:
        lifecycle.cancel_order(order=confirmed, actor=customer, reason="x", waive_fee=True)
    assert error.value.message == "Only an operator may waive the cancellation fee."
    confirmed.refresh_from_db()
    assert confirmed.status == OrderStatus.CONFIRMED
    assert (OrderEvent.objects.count(), JournalEntry.objects.count()) == (0, 0)


@pytest.mark.requirement("R-ORD-3")
@pytest.mark.parametrize("status", [OrderStatus.IN_PROGRESS, OrderStatus.COMPLETED])
def test_a_started_or_finished_job_cannot_be_cancelled(customer, provider, status, sms_outbox):
    order = OrderFactory(customer=customer, provider=provider, status=status)
    with pytest.raises(common.OrderError):
        lifecycle.cancel_order(order=order, actor=customer, reason="Changed my mind")
    order.refresh_from_db()
    assert order.status == status
    assert order.cancellation_fee is None
    assert (OrderEvent.objects.count(), JournalEntry.objects.count()) == (0, 0)
    assert sms_outbox == []


@pytest.mark.requirement("R-ORD-3", "R-ORD-5")
def test_cancelling_releases_the_slot_and_tells_the_provider(
    confirmed, customer, provider, service, area, sms_outbox, django_capture_on_commit_callbacks
):
    same_time = OrderFactory(
        service_type=service, area=area, starts_at=confirmed.starts_at, ends_at=confirmed.ends_at
    )
    assert provider not in candidates_for(same_time)
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.cancel_order(order=confirmed, actor=customer, reason="Plans changed")
    assert list(candidates_for(same_time)) == [provider]
    assert [message["to"] for message in sms_outbox] == [str(provider.user.phone)]
    assert f"Job #{confirmed.pk} on" in sms_outbox[0]["text"]
    assert "is cancelled" in sms_outbox[0]["text"]


@pytest.mark.requirement("R-ORD-3")
def test_the_order_page_shows_the_fee_before_the_customer_confirms(
    confirmed, customer_client, time_machine
):
    freeze(time_machine, confirmed.starts_at - timedelta(hours=30))
    page = customer_client.get(reverse("orders:detail", args=[confirmed.pk])).content.decode()
    assert "Cancelling is free until" in page
    freeze(time_machine, confirmed.starts_at - timedelta(hours=3))
    page = customer_client.get(reverse("orders:detail", args=[confirmed.pk])).content.decode()
    assert "Cancelling now costs 1,110,002 IRR" in page


@pytest.mark.requirement("R-ORD-3")
def test_a_late_cancellation_through_the_page_charges_the_fee(
    confirmed, customer, customer_client, time_machine
):
    freeze(time_machine, confirmed.starts_at - timedelta(hours=3))
    response = customer_client.post(
        reverse("orders:cancel", args=[confirmed.pk]), {"reason": "Travel"}
    )
    assert response.status_code == 302
    confirmed.refresh_from_db()
    assert (confirmed.status, confirmed.cancellation_fee) == (OrderStatus.CANCELLED, FEE)
    listing = customer_client.get(reverse("orders:list")).content.decode()
    assert "Your balance: -1,110,002 IRR" in listing


# --- Rescheduling -------------------------------------------------------------------------


def day_of(order, offset_days=0):
    return timezone.localtime(order.starts_at).date() + timedelta(days=offset_days)


@pytest.mark.requirement("R-ORD-3", "R-ORD-5")
def test_rescheduling_keeps_the_provider_when_they_are_free(
    confirmed, customer, provider, sms_outbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.reschedule_order(
            order=confirmed, actor=customer, day=day_of(confirmed), start=time(14), reason="Work"
        )
    confirmed.refresh_from_db()
    assert confirmed.status == OrderStatus.CONFIRMED
    assert confirmed.provider == provider
    assert confirmed.starts_at == local_datetime(3, 14)
    assert confirmed.ends_at == local_datetime(3, 16)
    assert confirmed.blocked_until == local_datetime(3, 16, 30)
    assert confirmed.price == PRICE
    day = day_of(confirmed).isoformat()
    assert list(confirmed.events.values_list("from_status", "to_status", "actor", "reason")) == [
        (
            "confirmed",
            "confirmed",
            customer.pk,
            f"Rescheduled from {day} 10:00 to {day} 14:00: Work",
        )
    ]
    assert [message["to"] for message in sms_outbox] == [str(provider.user.phone)]
    assert f"moved from {day} 10:00 to {day} 14:00" in sms_outbox[0]["text"]


@pytest.mark.requirement("R-ORD-3", "R-ORD-5")
def test_rescheduling_to_a_busy_time_sends_the_order_back_to_matching(
    confirmed,
    customer,
    provider,
    other_provider,
    service,
    area,
    sms_outbox,
    django_capture_on_commit_callbacks,
    settings,
):
    settings.MATCHING_MODE = "auto"  # the offer loop (the customer's choice: tests/matching)
    OrderFactory(
        provider=provider,
        service_type=service,
        area=area,
        status=OrderStatus.CONFIRMED,
        starts_at=local_datetime(3, 14),
        ends_at=local_datetime(3, 16),
    )
    with pytest.raises(lifecycle.ReleasesProvider) as refused:
        lifecycle.reschedule_order(
            order=confirmed, actor=customer, day=day_of(confirmed), start=time(14), reason="Work"
        )
    assert "Maryam is not free at the new time" in refused.value.message_dict["release_provider"][0]
    confirmed.refresh_from_db()
    assert (confirmed.status, confirmed.provider, OrderEvent.objects.count()) == (
        OrderStatus.CONFIRMED,
        provider,
        0,
    )
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.reschedule_order(
            order=confirmed,
            actor=customer,
            day=day_of(confirmed),
            start=time(14),
            reason="Work",
            release_provider=True,
        )
    confirmed.refresh_from_db()
    # Matching ran on commit and offered the new time to the provider who is free then.
    assert confirmed.status == OrderStatus.OFFERED
    assert confirmed.provider is None
    assert confirmed.blocked_until is None
    assert confirmed.starts_at == local_datetime(3, 14)
    assert confirmed.price == PRICE
    assert Offer.objects.get(order=confirmed, status=OfferStatus.PENDING).provider == other_provider
    assert list(confirmed.events.values_list("from_status", "to_status"))[:2] == [
        ("confirmed", "confirmed"),
        ("confirmed", "requested"),
    ]
    assert str(provider.user.phone) in [message["to"] for message in sms_outbox]
    released = next(m for m in sms_outbox if m["to"] == str(provider.user.phone))
    assert "is no longer yours" in released["text"]


@pytest.mark.requirement("R-ORD-3")
def test_rescheduling_an_offered_order_withdraws_the_offer_for_the_old_time(
    customer, provider, other_provider, service, area, django_capture_on_commit_callbacks, settings
):
    settings.MATCHING_MODE = "auto"  # the offer loop (the customer's choice: tests/matching)
    order = OrderFactory(
        customer=customer,
        service_type=service,
        area=area,
        starts_at=local_datetime(3, 10),
        ends_at=local_datetime(3, 12),
    )
    first = matching_services.offer_to_next_candidate(order_id=order.pk)
    order.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.reschedule_order(
            order=order, actor=customer, day=day_of(order, 1), start=time(9), reason="Guests"
        )
    first.refresh_from_db()
    assert first.status == OfferStatus.WITHDRAWN
    order.refresh_from_db()
    assert order.status == OrderStatus.OFFERED
    assert order.starts_at == local_datetime(4, 9)
    pending = Offer.objects.get(order=order, status=OfferStatus.PENDING)
    assert pending.provider != first.provider


@pytest.mark.requirement("R-ORD-3")
def test_a_customer_cannot_reschedule_late_but_an_operator_can(
    confirmed, customer, operator, time_machine
):
    original = confirmed.starts_at
    freeze(time_machine, original - timedelta(hours=23))
    with pytest.raises(common.OrderError) as error:
        lifecycle.reschedule_order(
            order=confirmed, actor=customer, day=day_of(confirmed), start=time(14), reason="x"
        )
    assert "only until 24 hours before the start" in error.value.message
    confirmed.refresh_from_db()
    assert confirmed.starts_at == original
    assert OrderEvent.objects.count() == 0
    lifecycle.reschedule_order(
        order=confirmed, actor=operator, day=day_of(confirmed), start=time(14), reason="Phone"
    )
    confirmed.refresh_from_db()
    assert (confirmed.status, confirmed.starts_at) == (
        OrderStatus.CONFIRMED,
        original + timedelta(hours=4),
    )


@pytest.mark.requirement("R-ORD-3")
def test_the_new_time_follows_the_booking_rules(confirmed, customer):
    with pytest.raises(ValidationError) as error:
        lifecycle.reschedule_order(
            order=confirmed, actor=customer, day=day_of(confirmed, 90), start=time(10), reason="x"
        )
    assert "day" in error.value.message_dict
    confirmed.refresh_from_db()
    assert confirmed.starts_at == local_datetime(3, 10)
    assert OrderEvent.objects.count() == 0


@pytest.mark.requirement("R-ORD-3")
def test_someone_elses_order_cannot_be_rescheduled(confirmed, other_customer, client):
    with pytest.raises(common.OrderError):
        lifecycle.reschedule_order(
            order=confirmed, actor=other_customer, day=day_of(confirmed), start=time(14), reason="x"
        )
    client.force_login(other_customer)
    url = reverse("orders:reschedule", args=[confirmed.pk])
    assert client.get(url).status_code == 404
    data = {"day": day_of(confirmed).isoformat(), "start": "14:00", "reason": "x"}
    assert client.post(url, data).status_code == 404
    confirmed.refresh_from_db()
    assert confirmed.starts_at == local_datetime(3, 10)
    assert OrderEvent.objects.count() == 0


@pytest.mark.requirement("R-ORD-3")
def test_the_customer_changes_the_time_on_the_page_and_sees_it_in_the_history(
    confirmed, customer_client
):
    page = customer_client.get(reverse("orders:detail", args=[confirmed.pk])).content.decode()
    assert "Change the time" in page
    response = customer_client.post(
        reverse("orders:reschedule", args=[confirmed.pk]),
        {"day": day_of(confirmed).isoformat(), "start": "15:00", "reason": "Working late"},
    )
    assert response.status_code == 302
    page = customer_client.get(reverse("orders:detail", args=[confirmed.pk])).content.decode()
    assert f"to {day_of(confirmed).isoformat()} 15:00: Working late" in page


@pytest.mark.requirement("R-ORD-3")
def test_a_refused_time_change_is_explained_on_the_form(confirmed, customer_client, time_machine):
    original = confirmed.starts_at
    freeze(time_machine, original - timedelta(hours=2))
    response = customer_client.post(
        reverse("orders:reschedule", args=[confirmed.pk]),
        {"day": day_of(confirmed).isoformat(), "start": "15:00", "reason": "Late"},
    )
    assert response.status_code == 200
    assert "only until 24 hours before the start" in response.content.decode()
    confirmed.refresh_from_db()
    assert confirmed.starts_at == original
