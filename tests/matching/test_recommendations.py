"""The customer picks one of up to three recommended providers, or asks for others (R-MAT-2);
matching runs in Celery and passes declined or expired choices on (R-MAT-3)."""

import re
from datetime import time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from core.outbox import relay
from matching import requests, services
from matching.models import Offer, OfferStatus, Recommendation, RecommendationStatus
from matching.tasks import match_order_task, sweep_unmatched_orders_task
from orders.models import Channel, Order, OrderStatus
from tests.factories import CustomerFactory, OrderFactory, ProviderFactory

from .matching_factories import completed_jobs

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _recommend_mode(settings):
    settings.MATCHING_MODE = "recommend"
    settings.RECOMMENDATION_AUTO_AFTER_DECLINE = False


@pytest.fixture
def match(django_capture_on_commit_callbacks):
    """Run the matching task for an order as Celery would (eagerly, after commit)."""

    def run(order):
        with django_capture_on_commit_callbacks(execute=True):
            match_order_task.delay(order.pk)
        order.refresh_from_db()
        return order

    return run


def providers_by_rating(count, names=None):
    """`count` providers, the first rated best; names "P0", "P1"... unless given."""
    return [
        ProviderFactory(
            user__full_name=(names[i] if names else f"P{i} Provider"),
            rating_average=round(5.0 - 0.1 * i, 1),
            rating_count=40,
        )
        for i in range(count)
    ]


def shown(order):
    return list(
        Recommendation.objects.filter(order=order, status=RecommendationStatus.SHOWN)
        .order_by("rank")
        .values_list("provider_id", flat=True)
    )


@pytest.mark.requirement("R-MAT-2", "R-MAT-3")
def test_the_task_recommends_the_best_three_and_running_it_twice_changes_nothing(
    service, area, match
):
    best = providers_by_rating(5)
    order = OrderFactory(service_type=service, area=area)
    match(order)
    match(order)
    assert order.status == OrderStatus.REQUESTED
    assert shown(order) == [p.pk for p in best[:3]]
    assert Recommendation.objects.filter(order=order).count() == 3
    assert set(Recommendation.objects.values_list("round", flat=True)) == {1}
    assert not Offer.objects.exists()
    first = Recommendation.objects.get(order=order, rank=1)
    assert first.total == first.score["total"] > Recommendation.objects.get(rank=3).total


@pytest.mark.requirement("R-MAT-2", "R-MAT-3")
def test_a_web_booking_gets_recommendations_after_commit_and_no_offer(
    customer, service, area, django_capture_on_commit_callbacks
):
    from orders.services.booking import BookingRequest, book_order, check_booking

    providers_by_rating(2)
    request = BookingRequest(
        service_type=service,
        area=area,
        address="1 Main St",
        day=timezone.localdate() + timedelta(days=1),
        start=time(10),
        home_area_sqm=80,
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        order = book_order(customer=customer, booking=check_booking(request))
    assert not Recommendation.objects.exists()  # nothing inside the request's transaction
    with django_capture_on_commit_callbacks(execute=True):
        for callback in callbacks:
            callback()
    order.refresh_from_db()
    assert order.status == OrderStatus.REQUESTED
    assert len(shown(order)) == 2
    assert not Offer.objects.exists()


@pytest.mark.requirement("R-MAT-2")
def test_the_page_polls_until_ready_then_shows_three_providers_with_reasons_reviews_and_price(
    customer_client, customer, service, area, match
):
    names = ["Maryam Ahmadi", "Elena Petrova", "Zahra Karimi", "Nobody Fourth"]
    providers = providers_by_rating(4, names)
    providers[0].recent_reviews = [{"text": "Spotless kitchen!", "score": 5.0, "at": "x"}]
    providers[0].save()
    completed_jobs(providers[1], service, 12)
    order = OrderFactory(customer=customer, service_type=service, area=area)
    url = reverse("matching:choose", args=[order.pk])

    waiting = customer_client.get(url).content.decode()
    assert "Finding the best providers for you" in waiting
    assert 'hx-trigger="every 2s"' in waiting

    match(order)
    fragment = customer_client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in fragment
    for name in ("Maryam", "Elena", "Zahra"):
        assert f"Choose {name}" in fragment
    assert "Nobody" not in fragment
    assert "5.0 rating (40 reviews)" in fragment
    assert "top-rated provider" in fragment
    assert "12 Standard home cleaning jobs done" in fragment
    assert "Spotless kitchen!" in fragment
    assert "3,700,000 IRR" in fragment or "3700000" in fragment.replace(",", "")
    assert "hx-trigger" not in fragment  # ready: polling stops
    assert "Show me others" in fragment


@pytest.mark.requirement("R-MAT-2")
def test_a_card_shows_one_rating_figure_in_its_header_and_its_reasons(
    customer_client, customer, service, area, match
):
    provider = ProviderFactory(user__full_name="Maryam Ahmadi", rating_average=4.65, rating_count=9)
    order = match(OrderFactory(customer=customer, service_type=service, area=area))
    # Rated again after the recommendation was scored: the card quotes today's figure.
    provider.rating_average, provider.rating_count = 4.75, 10
    provider.save()
    fragment = customer_client.get(
        reverse("matching:choose", args=[order.pk]), headers={"HX-Request": "true"}
    ).content.decode()
    assert "★ 4.8 ·" in fragment
    assert "4.8 rating (10 reviews)" in fragment
    assert not re.search(r"4\.[67]", fragment)


@pytest.mark.requirement("R-MAT-2", "R-MAT-3")
def test_choosing_offers_the_job_to_that_provider(
    customer_client, customer, service, area, match, django_capture_on_commit_callbacks
):
    first, second, third = providers_by_rating(3)
    order = match(OrderFactory(customer=customer, service_type=service, area=area))
    with django_capture_on_commit_callbacks(execute=True):
        response = customer_client.post(
            reverse("matching:choose_provider", args=[order.pk]), {"provider": second.pk}
        )
    assert response.status_code == 302
    assert response["Location"] == reverse("orders:detail", args=[order.pk])
    order.refresh_from_db()
    assert order.status == OrderStatus.OFFERED
    offer = Offer.objects.get(order=order)
    assert (offer.provider, offer.status) == (second, OfferStatus.PENDING)
    statuses = dict(Recommendation.objects.filter(order=order).values_list("provider_id", "status"))
    assert statuses == {first.pk: "passed", second.pk: "chosen", third.pk: "passed"}


@pytest.mark.requirement("R-MAT-2")
def test_a_provider_not_shown_cannot_be_chosen(customer_client, customer, service, area, match):
    providers = providers_by_rating(4)
    order = match(OrderFactory(customer=customer, service_type=service, area=area))
    response = customer_client.post(
        reverse("matching:choose_provider", args=[order.pk]),
        {"provider": providers[3].pk},
        follow=True,
    )
    assert "no longer on offer" in response.content.decode()
    assert shown(order) == [p.pk for p in providers[:3]]
    assert not Offer.objects.exists()


@pytest.mark.requirement("R-MAT-2")
def test_others_are_never_the_passed_and_when_nobody_is_left_the_customer_is_told(
    customer_client, customer, service, area, match, sms_outbox, django_capture_on_commit_callbacks
):
    providers = providers_by_rating(7)
    order = match(OrderFactory(customer=customer, service_type=service, area=area))
    others = reverse("matching:other_providers", args=[order.pk])
    seen = []
    for expected in (providers[:3], providers[3:6], providers[6:]):
        assert shown(order) == [p.pk for p in expected]
        seen += shown(order)
        with django_capture_on_commit_callbacks(execute=True):
            customer_client.post(others)
    assert len(seen) == len(set(seen)) == 7
    order.refresh_from_db()
    assert order.status == OrderStatus.NO_PROVIDER  # the operators' queue
    assert f"no provider is free for order #{order.pk}" in sms_outbox[-1]["text"]
    page = customer_client.get(reverse("matching:choose", args=[order.pk])).content.decode()
    assert "no other provider is free" in page


@pytest.mark.requirement("R-MAT-2", "R-MAT-3")
def test_a_declined_choice_brings_new_recommendations_without_the_decliner(
    customer, service, area, match, sms_outbox, django_capture_on_commit_callbacks
):
    providers = providers_by_rating(5)
    order = match(OrderFactory(customer=customer, service_type=service, area=area))
    with django_capture_on_commit_callbacks(execute=True):
        requests.choose_provider(order=order, provider_id=providers[0].pk, customer=customer)
    offer = Offer.objects.get(order=order)
    with django_capture_on_commit_callbacks(execute=True):
        services.decline_offer(offer=offer, provider=providers[0], reason="ill")
    order.refresh_from_db()
    assert order.status == OrderStatus.REQUESTED
    assert shown(order) == [providers[3].pk, providers[4].pk]
    assert Recommendation.objects.get(order=order, provider=providers[3]).round == 2
    assert "cannot come. Please choose another" in sms_outbox[-1]["text"]
    assert reverse("matching:choose", args=[order.pk]) in sms_outbox[-1]["text"]


@pytest.mark.requirement("R-MAT-3")
def test_with_the_setting_a_declined_choice_goes_to_the_next_best_at_once(
    customer, service, area, match, settings, django_capture_on_commit_callbacks
):
    settings.RECOMMENDATION_AUTO_AFTER_DECLINE = True
    providers = providers_by_rating(4)
    order = match(OrderFactory(customer=customer, service_type=service, area=area))
    with django_capture_on_commit_callbacks(execute=True):
        requests.choose_provider(order=order, provider_id=providers[2].pk, customer=customer)
    with django_capture_on_commit_callbacks(execute=True):
        services.decline_offer(offer=Offer.objects.get(order=order), provider=providers[2])
    pending = Offer.objects.get(order=order, status=OfferStatus.PENDING)
    assert pending.provider == providers[0]  # the best, never the decliner


@pytest.mark.requirement("R-MAT-3")
def test_an_expired_choice_passes_on_to_new_recommendations(
    customer, service, area, match, time_machine, django_capture_on_commit_callbacks
):
    providers = providers_by_rating(4)
    order = match(OrderFactory(customer=customer, service_type=service, area=area))
    with django_capture_on_commit_callbacks(execute=True):
        requests.choose_provider(order=order, provider_id=providers[1].pk, customer=customer)
    time_machine.move_to(timezone.now() + timedelta(minutes=31))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.expire_stale_offers() == 1
    assert shown(order) == [providers[3].pk]


@pytest.mark.requirement("R-MAT-2", "R-MAT-3")
def test_without_a_choice_in_time_the_sweep_offers_the_best(
    customer, service, area, match, settings, time_machine, django_capture_on_commit_callbacks
):
    settings.RECOMMENDATION_CHOICE_MINUTES = 30
    providers = providers_by_rating(3)
    order = match(OrderFactory(customer=customer, service_type=service, area=area))
    time_machine.move_to(timezone.now() + timedelta(minutes=10))
    with django_capture_on_commit_callbacks(execute=True):
        sweep_unmatched_orders_task.delay()
    assert not Offer.objects.exists()  # still choosing
    time_machine.move_to(timezone.now() + timedelta(minutes=25))
    with django_capture_on_commit_callbacks(execute=True):
        sweep_unmatched_orders_task.delay()
    assert Offer.objects.get(order=order).provider == providers[0]
    order.refresh_from_db()
    assert order.status == OrderStatus.OFFERED


@pytest.mark.requirement("R-MAT-3")
def test_a_chosen_provider_who_became_busy_meanwhile_brings_new_recommendations(
    customer, service, area, match, django_capture_on_commit_callbacks
):
    providers = providers_by_rating(4)
    order = match(OrderFactory(customer=customer, service_type=service, area=area))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        requests.choose_provider(order=order, provider_id=providers[0].pk, customer=customer)
    OrderFactory(provider=providers[0], status=OrderStatus.CONFIRMED, starts_at=order.starts_at)
    with django_capture_on_commit_callbacks(execute=True):
        for callback in callbacks:
            callback()
    assert not Offer.objects.filter(order=order).exists()
    assert shown(order) == [providers[3].pk]


@pytest.mark.requirement("R-MAT-3")
def test_phone_orders_are_offered_to_the_best_at_once(service, area, match):
    best, _ = providers_by_rating(2)
    order = match(OrderFactory(service_type=service, area=area, channel=Channel.PHONE))
    assert order.status == OrderStatus.OFFERED
    assert Offer.objects.get(order=order).provider == best
    assert not Recommendation.objects.exists()


@pytest.mark.requirement("R-MAT-3")
def test_a_booking_survives_the_broker_being_down_and_the_relay_recommends(
    customer, service, area, time_machine, django_capture_on_commit_callbacks, broker_down
):
    from orders.services.booking import BookingRequest, book_order, check_booking

    providers_by_rating(1)
    request = BookingRequest(
        service_type=service,
        area=area,
        address="1 Main St",
        day=timezone.localdate() + timedelta(days=1),
        start=time(10),
        home_area_sqm=80,
    )
    with broker_down(), django_capture_on_commit_callbacks(execute=True):
        order = book_order(customer=customer, booking=check_booking(request))
    assert not Recommendation.objects.exists()
    # The broker is back: the outbox's relay hands the match over (the sweep would too).
    time_machine.move_to(timezone.now() + timedelta(minutes=10))
    with django_capture_on_commit_callbacks(execute=True):
        assert relay() >= 1
    assert len(shown(order)) == 1


def test_only_the_orders_customer_may_see_or_choose(
    client, customer, service, area, match, provider
):
    order = match(OrderFactory(customer=customer, service_type=service, area=area))
    urls = [
        ("get", reverse("matching:choose", args=[order.pk])),
        ("post", reverse("matching:choose_provider", args=[order.pk])),
        ("post", reverse("matching:other_providers", args=[order.pk])),
    ]
    for method, url in urls:
        assert getattr(client, method)(url).status_code == 302  # to the login page
    client.force_login(CustomerFactory())
    for method, url in urls:
        assert getattr(client, method)(url, {"provider": provider.pk}).status_code == 404
    client.force_login(provider.user)
    for method, url in urls:
        assert getattr(client, method)(url).status_code == 403
    assert shown(order) == [provider.pk]
    assert not Offer.objects.exists()


def test_the_order_page_links_to_the_choice_while_requested(customer_client, customer, order_in):
    order = order_in(customer)
    page = customer_client.get(reverse("orders:detail", args=[order.pk])).content.decode()
    assert reverse("matching:choose", args=[order.pk]) in page
    assert "Choose your provider" in page


@pytest.fixture
def order_in(service, area, match):
    def make(customer):
        providers_by_rating(1)
        return match(OrderFactory(customer=customer, service_type=service, area=area))

    return make


@pytest.mark.requirement("R-MAT-2")
@pytest.mark.parametrize("extra", [0, 27])
def test_the_page_and_the_endpoint_take_the_same_queries_however_many_candidates(
    customer_client, customer, service, area, match, extra, django_assert_max_num_queries
):
    providers_by_rating(3 + extra)
    order = match(OrderFactory(customer=customer, service_type=service, area=area))
    with django_assert_max_num_queries(12):
        assert customer_client.get(reverse("matching:choose", args=[order.pk])).status_code == 200
    api = APIClient()
    api.force_authenticate(customer)
    with django_assert_max_num_queries(8):
        response = api.get(f"/api/v1/orders/{order.pk}/recommendations")
    assert len(response.json()["recommendations"]) == 3


# The API ---------------------------------------------------------------------------------------


@pytest.fixture
def api(customer):
    client = APIClient()
    client.force_authenticate(customer)
    return client


@pytest.mark.requirement("R-MAT-2")
def test_the_api_shows_chooses_and_asks_for_others(
    api, customer, service, area, match, django_capture_on_commit_callbacks
):
    providers = providers_by_rating(5)
    order = OrderFactory(customer=customer, service_type=service, area=area)
    url = f"/api/v1/orders/{order.pk}/recommendations"
    assert api.get(url).json() == {
        "state": "preparing",
        "order_status": "requested",
        "recommendations": [],
    }
    match(order)
    body = api.get(url).json()
    assert body["state"] == "ready"
    assert [r["provider_id"] for r in body["recommendations"]] == [p.pk for p in providers[:3]]
    first = body["recommendations"][0]
    assert first["first_name"] == "P0"
    assert (first["rating"], first["rating_count"]) == (5.0, 40)
    assert "5.0 rating (40 reviews)" in first["reasons"]
    assert first["currency"] == "IRR"

    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"{url}/others", format="json")
    assert response.status_code == 202
    # The answer is sent before the task runs: the next round is being prepared.
    assert response.json()["state"] == "preparing"
    assert [r["provider_id"] for r in api.get(url).json()["recommendations"]] == [
        providers[3].pk,
        providers[4].pk,
    ]

    refused = api.post(f"{url}/choose", {"provider_id": providers[0].pk}, format="json")
    assert refused.status_code == 400
    message = "This provider is no longer on offer; please pick another."
    assert refused.json() == {"errors": {"non_field_errors": [message]}}
    with django_capture_on_commit_callbacks(execute=True):
        chosen = api.post(f"{url}/choose", {"provider_id": providers[4].pk}, format="json")
    assert chosen.status_code == 202
    assert chosen.json()["state"] == "chosen"  # answered before the task makes the offer
    assert api.get(url).json()["state"] == "closed"
    assert api.get(url).json()["order_status"] == "offered"
    assert Offer.objects.get(order=order).provider == providers[4]


def test_the_api_refuses_other_customers_and_providers(customer, service, area, match, provider):
    order = match(OrderFactory(customer=customer, service_type=service, area=area))
    url = f"/api/v1/orders/{order.pk}/recommendations"
    stranger = APIClient()
    stranger.force_authenticate(CustomerFactory())
    assert stranger.get(url).status_code == 404
    refused = stranger.post(f"{url}/choose", {"provider_id": provider.pk}, format="json")
    assert refused.status_code == 404
    worker = APIClient()
    worker.force_authenticate(provider.user)
    assert worker.get(url).status_code == 403
    assert APIClient().get(url).status_code == 401
    assert not Offer.objects.exists()
    assert Order.objects.get(pk=order.pk).status == OrderStatus.REQUESTED


def test_a_closed_order_cannot_be_chosen_for(customer, service, area, match):
    provider = providers_by_rating(1)[0]
    order = match(OrderFactory(customer=customer, service_type=service, area=area))
    order.status = OrderStatus.CANCELLED
    order.save(update_fields=["status"])
    with pytest.raises(services.RecommendationError):
        requests.choose_provider(order=order, provider_id=provider.pk, customer=customer)
