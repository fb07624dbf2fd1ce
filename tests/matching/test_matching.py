import re
from datetime import time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from core.models import OutboxTask
from core.outbox import relay
from matching import services
from matching.models import Offer, OfferStatus
from matching.selectors import candidates_for
from matching.tasks import match_order_task, sweep_unmatched_orders_task
from orders.models import Order, OrderStatus
from orders.services import lifecycle as order_lifecycle
from providers.models import ProviderStatus
from providers.services import suspend_provider
from tests.factories import (
    AreaFactory,
    OrderFactory,
    ProviderFactory,
    SkillFactory,
    local_datetime,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _auto_mode(settings):
    # These tests are about the offer loop: the best candidate gets the offer at once.
    # tests/matching/test_recommendations.py covers the customer's choice.
    settings.MATCHING_MODE = "auto"


def offered_provider(order):
    return Offer.objects.get(order=order, status=OfferStatus.PENDING).provider


@pytest.mark.requirement("R-MAT-3")
def test_booking_matches_only_after_the_transaction_commits(
    customer, provider, service, area, django_capture_on_commit_callbacks
):
    from orders.services.booking import BookingRequest, book_order, check_booking

    day = timezone.localdate() + timedelta(days=1)
    request = BookingRequest(
        service_type=service,
        area=area,
        address="1 Main St",
        day=day,
        start=time(10),
        home_area_sqm=80,
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        order = book_order(customer=customer, booking=check_booking(request))
    # Nothing matched inside the booking transaction.
    assert Order.objects.get(pk=order.pk).status == OrderStatus.REQUESTED
    assert Offer.objects.count() == 0
    # The match waits in the outbox, written with the order, handed over once committed.
    waiting = OutboxTask.objects.filter(done_at__isnull=True)
    assert "matching.tasks.match_order_task" in {row.function for row in waiting}
    with django_capture_on_commit_callbacks(execute=True):
        for callback in callbacks:
            callback()
    order.refresh_from_db()
    assert order.status == OrderStatus.OFFERED
    assert offered_provider(order) == provider


@pytest.mark.requirement("R-MAT-1", "R-VET-6")
def test_candidates_need_skill_area_working_hours_free_time_and_active_status(service, area):
    order = OrderFactory(service_type=service, area=area, starts_at=local_datetime(1, 10))
    eligible = ProviderFactory()
    ProviderFactory(skills=[SkillFactory(code="wood", name="Wood")])  # wrong skill
    ProviderFactory(areas=[AreaFactory(code="south", name="South")])  # wrong area
    ProviderFactory(hours=[(d, time(13), time(20)) for d in range(7)])  # not working at 10
    busy = ProviderFactory()
    OrderFactory(status=OrderStatus.CONFIRMED, provider=busy, starts_at=order.starts_at)
    suspended = ProviderFactory()
    suspend_provider(provider=suspended, actor=None, reason="test")
    removed = ProviderFactory(status=ProviderStatus.REMOVED)
    inactive_user = ProviderFactory(user__is_active=False)
    assert list(candidates_for(order)) == [eligible]
    assert removed not in candidates_for(order)
    assert inactive_user not in candidates_for(order)


@pytest.mark.requirement("R-MAT-1")
def test_working_hours_must_cover_the_whole_job(service, area):
    order = OrderFactory(
        service_type=service,
        area=area,
        starts_at=local_datetime(1, 18),
        ends_at=local_datetime(1, 20, 30),
    )
    ProviderFactory()  # works until 20:00
    assert list(candidates_for(order)) == []


@pytest.mark.requirement("R-MAT-1")
def test_a_service_needing_two_skills_needs_a_provider_with_both(area):
    from tests.factories import ServiceTypeFactory

    home, wood = SkillFactory(), SkillFactory(code="wood", name="Wood")
    both = ServiceTypeFactory(code="both", name="Both", required_skills=[home, wood])
    order = OrderFactory(service_type=both, area=area)
    ProviderFactory(skills=[home])
    versatile = ProviderFactory(skills=[home, wood])
    assert list(candidates_for(order)) == [versatile]


@pytest.mark.requirement("R-MAT-5")
@pytest.mark.parametrize("earlier_job", [OrderStatus.CONFIRMED, OrderStatus.COMPLETED])
def test_with_equal_candidates_the_less_loaded_provider_is_offered_first(
    service, area, earlier_job
):
    busy, idle = ProviderFactory(), ProviderFactory()
    OrderFactory(
        status=earlier_job,
        provider=busy,
        starts_at=local_datetime(1, 8),
        ends_at=local_datetime(1, 9, 30),
    )
    order = OrderFactory(
        service_type=service,
        area=area,
        starts_at=local_datetime(1, 12),
        ends_at=local_datetime(1, 14),
    )
    services.offer_to_next_candidate(order_id=order.pk)
    assert offered_provider(order) == idle


@pytest.mark.requirement("R-MAT-3")
def test_no_candidate_marks_the_order_and_tells_the_customer(
    customer, service, area, sms_outbox, django_capture_on_commit_callbacks
):
    order = OrderFactory(customer=customer, service_type=service, area=area)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.offer_to_next_candidate(order_id=order.pk) is None
    order.refresh_from_db()
    assert order.status == OrderStatus.NO_PROVIDER
    assert order.events.last().reason == (
        "No provider with this skill in this area is free at that time."
    )
    assert sms_outbox == [
        {"to": str(customer.phone), "text": sms_outbox[0]["text"]},
    ]
    assert f"no provider is free for order #{order.pk}" in sms_outbox[0]["text"]


@pytest.mark.requirement("R-MAT-3")
def test_the_offer_and_the_confirmation_are_sent_in_the_recipients_language(
    customer, provider, service, area, sms_outbox, mailoutbox, django_capture_on_commit_callbacks
):
    provider.user.preferred_language = "ru"
    provider.user.email = "provider@example.com"
    provider.user.save()
    order = OrderFactory(customer=customer, service_type=service, area=area)
    with django_capture_on_commit_callbacks(execute=True):
        offer = services.offer_to_next_candidate(order_id=order.pk)
    assert sms_outbox[0]["to"] == str(provider.user.phone)
    assert "New job offer" not in sms_outbox[0]["text"]
    assert re.search("[\\u0400-\\u04ff]{4}", sms_outbox[0]["text"])  # rendered in Cyrillic
    assert mailoutbox[0].to == ["provider@example.com"]
    with django_capture_on_commit_callbacks(execute=True):
        services.accept_offer(offer=offer, provider=provider)
    # The contract-ready messages (R-ORD-4) go out in the same commit; find the confirmation.
    to_customer = [sms["text"] for sms in sms_outbox[1:] if sms["to"] == str(customer.phone)]
    assert f"Order #{order.pk} is confirmed" in to_customer[-1]


@pytest.mark.requirement("R-MAT-3")
def test_running_the_match_twice_makes_one_live_offer(provider, other_provider, service, area):
    order = OrderFactory(service_type=service, area=area)
    match_order_task.delay(order.pk)
    match_order_task.delay(order.pk)
    assert Offer.objects.filter(order=order).count() == 1
    assert Offer.objects.get(order=order).status == OfferStatus.PENDING


@pytest.mark.requirement("R-MAT-3", "R-ORD-5")
def test_accepting_confirms_and_blocks_the_time(client, provider, service, area, sms_outbox):
    order = OrderFactory(service_type=service, area=area)
    offer = services.offer_to_next_candidate(order_id=order.pk)
    client.force_login(provider.user)
    response = client.post(reverse("matching:offer_accept", args=[offer.pk]))
    assert response.status_code == 302
    order.refresh_from_db()
    offer.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    assert order.provider == provider
    assert offer.status == OfferStatus.ACCEPTED
    # The time is blocked: an overlapping order finds no candidate.
    clash = OrderFactory(service_type=service, area=area, starts_at=order.starts_at)
    assert list(candidates_for(clash)) == []


@pytest.mark.requirement("R-MAT-2", "R-MAT-3")
def test_decline_passes_the_order_to_the_next_candidate_and_never_back(
    client, service, area, django_capture_on_commit_callbacks
):
    first, second = ProviderFactory(), ProviderFactory()
    order = OrderFactory(service_type=service, area=area)
    offer = services.offer_to_next_candidate(order_id=order.pk)
    assert offer.provider == first
    client.force_login(first.user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("matching:offer_decline", args=[offer.pk]), {"reason": "Too far"})
    offer.refresh_from_db()
    assert offer.status == OfferStatus.DECLINED
    assert offer.reason == "Too far"
    order.refresh_from_db()
    assert order.status == OrderStatus.OFFERED
    assert offered_provider(order) == second
    # The second declines too: nobody is left, and the first is not asked again.
    client.force_login(second.user)
    second_offer = Offer.objects.get(order=order, provider=second)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("matching:offer_decline", args=[second_offer.pk]))
    order.refresh_from_db()
    assert order.status == OrderStatus.NO_PROVIDER
    assert Offer.objects.filter(order=order, provider=first).count() == 1


@pytest.mark.requirement("R-MAT-3")
def test_a_provider_cannot_answer_an_offer_made_to_someone_else(
    client, provider, other_provider, service, area
):
    order = OrderFactory(service_type=service, area=area)
    offer = services.offer_to_next_candidate(order_id=order.pk)
    stranger = other_provider if offer.provider == provider else provider
    client.force_login(stranger.user)
    assert client.post(reverse("matching:offer_accept", args=[offer.pk])).status_code == 404
    assert client.post(reverse("matching:offer_decline", args=[offer.pk])).status_code == 404
    offer.refresh_from_db()
    order.refresh_from_db()
    assert offer.status == OfferStatus.PENDING
    assert order.status == OrderStatus.OFFERED


def test_a_customer_cannot_open_the_provider_dashboard(customer_client):
    assert customer_client.get(reverse("matching:dashboard")).status_code == 403


@pytest.mark.requirement("R-MAT-3")
def test_an_expired_offer_cannot_be_accepted(provider, service, area, time_machine):
    order = OrderFactory(service_type=service, area=area)
    offer = services.offer_to_next_candidate(order_id=order.pk)
    time_machine.move_to(timezone.now() + timedelta(hours=2))
    with pytest.raises(services.OfferError):
        services.accept_offer(offer=offer, provider=provider)
    order.refresh_from_db()
    assert order.status == OrderStatus.OFFERED


@pytest.mark.requirement("R-MAT-3")
def test_unanswered_offers_expire_to_the_next_candidate(
    service, area, time_machine, django_capture_on_commit_callbacks
):
    first, second = ProviderFactory(), ProviderFactory()
    order = OrderFactory(service_type=service, area=area)
    services.offer_to_next_candidate(order_id=order.pk)
    time_machine.move_to(timezone.now() + timedelta(minutes=31))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.expire_stale_offers() == 1
    assert Offer.objects.get(order=order, provider=first).status == OfferStatus.EXPIRED
    assert offered_provider(order) == second
    with django_capture_on_commit_callbacks(execute=True):
        assert services.expire_stale_offers() == 0


@pytest.mark.requirement("R-MAT-3")
def test_accepting_withdraws_the_providers_other_offers_at_that_time(
    provider, service, area, django_capture_on_commit_callbacks
):
    first = OrderFactory(service_type=service, area=area)
    same_time = OrderFactory(service_type=service, area=area, starts_at=first.starts_at)
    offer = services.offer_to_next_candidate(order_id=first.pk)
    other = services.offer_to_next_candidate(order_id=same_time.pk)
    assert other.provider == provider
    with django_capture_on_commit_callbacks(execute=True):
        services.accept_offer(offer=offer, provider=provider)
    other.refresh_from_db()
    same_time.refresh_from_db()
    assert other.status == OfferStatus.WITHDRAWN
    assert same_time.status == OrderStatus.NO_PROVIDER  # nobody else could take it


@pytest.mark.requirement("R-MAT-3")
def test_the_sweep_matches_orders_a_lost_message_left_waiting(
    provider, service, area, time_machine, django_capture_on_commit_callbacks
):
    order = OrderFactory(service_type=service, area=area)  # requested, but no task ever ran
    assert sweep_unmatched_orders_task.delay().get() == 0  # too fresh to be stuck
    time_machine.move_to(timezone.now() + timedelta(minutes=10))
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_unmatched_orders_task.delay().get() == 1
    order.refresh_from_db()
    assert order.status == OrderStatus.OFFERED


@pytest.mark.requirement("R-MAT-3", "R-SEC-4")
def test_the_sweep_leaves_a_match_still_waiting_in_the_outbox_to_the_relay(
    service, area, time_machine, django_capture_on_commit_callbacks
):
    from core.models import OutboxTask
    from matching.tasks import enqueue_match

    stuck, queued = (
        OrderFactory(service_type=service, area=area),
        OrderFactory(service_type=service, area=area),
    )
    with django_capture_on_commit_callbacks(execute=False):
        enqueue_match(queued.pk)  # written, its message still queued behind a backlog
    time_machine.move_to(timezone.now() + timedelta(minutes=10))
    with django_capture_on_commit_callbacks(execute=False):
        # Three sweeps while the backlog lasts: the stuck order is written once, the queued
        # one never again.
        assert [sweep_unmatched_orders_task() for _ in range(3)] == [1, 0, 0]
    rows = OutboxTask.objects.filter(function=match_order_task.name)
    assert sorted(row.args[0] for row in rows) == sorted([queued.pk, stuck.pk])


@pytest.mark.requirement("R-MAT-3")
def test_a_booking_survives_the_broker_being_down_and_the_relay_catches_up(
    customer,
    provider,
    service,
    area,
    settings,
    time_machine,
    django_capture_on_commit_callbacks,
    sms_outbox,
    broker_down,
):
    from orders.services.booking import BookingRequest, book_order, check_booking

    day = timezone.localdate() + timedelta(days=1)
    request = BookingRequest(
        service_type=service,
        area=area,
        address="1 Main St",
        day=day,
        start=time(10),
        home_area_sqm=80,
    )
    with broker_down(), django_capture_on_commit_callbacks(execute=True):
        order = book_order(customer=customer, booking=check_booking(request))
    # The hand-over was attempted, failed, and was swallowed: the work waits in the outbox.
    order.refresh_from_db()
    assert order.status == OrderStatus.REQUESTED
    waiting = OutboxTask.objects.filter(done_at__isnull=True, published_at__isnull=True)
    assert {row.function for row in waiting} == {
        "matching.tasks.match_order_task",
        "orders.notifications.tell_order_received",
    }
    assert sms_outbox == []
    # The broker is back: beat's relay hands both over; the order is matched, the customer
    # told once, however often the relay runs.
    time_machine.move_to(timezone.now() + timedelta(minutes=1))
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            relay()
    order.refresh_from_db()
    assert order.status == OrderStatus.OFFERED
    received = [m for m in sms_outbox if m["to"] == str(customer.phone)]
    assert len(received) == 1 and f"#{order.pk}" in received[0]["text"]
    assert not OutboxTask.objects.filter(done_at__isnull=True).exists()


def test_dashboard_lists_offers_and_jobs_with_bounded_queries(
    client, provider, service, area, django_assert_max_num_queries
):
    for hour in range(8, 18):
        order = OrderFactory(
            service_type=service,
            area=area,
            starts_at=local_datetime(2, hour),
            ends_at=local_datetime(2, hour, 30),
        )
        services.offer_to_next_candidate(order_id=order.pk)
    for day in range(3, 8):
        OrderFactory(
            status=OrderStatus.CONFIRMED,
            provider=provider,
            starts_at=local_datetime(day, 10),
            ends_at=local_datetime(day, 12),
        )
    client.force_login(provider.user)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("matching:dashboard"))
    assert len(response.context["offers"]) == 10
    assert len(response.context["upcoming"]) == 5


def test_reopening_a_no_provider_order_runs_matching_again(
    operator, service, area, django_capture_on_commit_callbacks
):
    order = OrderFactory(service_type=service, area=area)
    services.offer_to_next_candidate(order_id=order.pk)
    order.refresh_from_db()
    assert order.status == OrderStatus.NO_PROVIDER
    provider = ProviderFactory()
    with django_capture_on_commit_callbacks(execute=True):
        order_lifecycle.reopen_for_matching(order=order, actor=operator, reason="New provider")
    assert offered_provider(order) == provider
