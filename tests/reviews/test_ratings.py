from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from matching.selectors import candidates_for
from providers.models import ProviderEvent, ProviderStatus
from reviews import services
from reviews.models import Rating
from tests.factories import OrderFactory, ProviderFactory

pytestmark = pytest.mark.django_db


def completed_order(customer, provider, **kwargs):
    return OrderFactory(
        customer=customer,
        provider=provider,
        status="completed",
        completed_at=kwargs.pop("completed_at", timezone.now()),
        **kwargs,
    )


def rate(order, customer, scores=(5, 4, 5), comment=""):
    attitude, result, compliance = scores
    return services.rate_order(
        order=order,
        customer=customer,
        attitude=attitude,
        result=result,
        compliance=compliance,
        comment=comment,
    )


@pytest.mark.requirement("R-QC-1")
def test_customer_rates_attitude_result_and_compliance_with_a_comment(
    customer_client, customer, provider
):
    order = completed_order(customer, provider)
    page = customer_client.get(reverse("orders:detail", args=[order.pk]))
    assert "Rate this job" in page.content.decode()
    response = customer_client.post(
        reverse("reviews:rate", args=[order.pk]),
        {"attitude": "5", "result": "4", "compliance": "3", "comment": " Very tidy "},
    )
    assert response.status_code == 302
    rating = Rating.objects.get(order=order)
    assert (rating.attitude, rating.result, rating.compliance) == (5, 4, 3)
    assert rating.comment == "Very tidy"
    assert rating.provider == provider
    assert rating.customer == customer
    page = customer_client.get(reverse("orders:detail", args=[order.pk]))
    assert "Your rating" in page.content.decode()


@pytest.mark.requirement("R-QC-1")
def test_the_rating_form_closes_24_hours_after_completion(
    customer_client, customer, provider, time_machine
):
    order = completed_order(customer, provider)
    time_machine.move_to(timezone.now() + timedelta(hours=23, minutes=59))
    assert b"attitude" in customer_client.get(reverse("reviews:rate", args=[order.pk])).content
    time_machine.move_to(timezone.now() + timedelta(minutes=2))
    page = customer_client.get(reverse("reviews:rate", args=[order.pk]))
    assert "Rating is closed" in page.content.decode()
    response = customer_client.post(
        reverse("reviews:rate", args=[order.pk]), {"attitude": 5, "result": 5, "compliance": 5}
    )
    assert "Ratings close 24 hours after the job is completed." in response.content.decode()
    assert Rating.objects.count() == 0


@pytest.mark.requirement("R-QC-1")
def test_a_job_is_rated_once(customer_client, customer, provider):
    order = completed_order(customer, provider)
    rate(order, customer)
    response = customer_client.post(
        reverse("reviews:rate", args=[order.pk]), {"attitude": 1, "result": 1, "compliance": 1}
    )
    assert "You have already rated this job." in response.content.decode()
    assert Rating.objects.get().attitude == 5


@pytest.mark.requirement("R-QC-1")
def test_rating_someone_elses_job_is_not_found(customer_client, other_customer, provider):
    order = completed_order(other_customer, provider)
    response = customer_client.post(
        reverse("reviews:rate", args=[order.pk]), {"attitude": 1, "result": 1, "compliance": 1}
    )
    assert response.status_code == 404
    assert Rating.objects.count() == 0


@pytest.mark.requirement("R-QC-1")
def test_the_service_refuses_a_rating_from_another_customer(customer, other_customer, provider):
    order = completed_order(other_customer, provider)
    with pytest.raises(services.RatingError):
        rate(order, customer)
    assert Rating.objects.count() == 0


@pytest.mark.requirement("R-QC-1")
def test_a_job_not_yet_completed_cannot_be_rated(customer_client, customer, provider):
    order = OrderFactory(customer=customer, provider=provider, status="confirmed")
    page = customer_client.get(reverse("reviews:rate", args=[order.pk]))
    assert "once it is completed" in page.content.decode()
    with pytest.raises(services.RatingError):
        rate(order, customer)
    assert Rating.objects.count() == 0


@pytest.mark.requirement("R-QC-1")
@pytest.mark.parametrize("bad", ["0", "6", "five", ""])
def test_scores_outside_1_to_5_are_refused(customer_client, customer, provider, bad):
    order = completed_order(customer, provider)
    response = customer_client.post(
        reverse("reviews:rate", args=[order.pk]), {"attitude": bad, "result": 5, "compliance": 5}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["attitude"]
    assert Rating.objects.count() == 0


@pytest.mark.requirement("R-QC-3", "R-VET-7", "R-SEC-2")
def test_a_low_rolling_average_suspends_the_provider_automatically(customer, settings):
    settings.RATING_ROLLING_COUNT = 3
    settings.RATING_SUSPEND_THRESHOLD = 3.0
    provider = ProviderFactory()
    for scores in [(4, 4, 4), (2, 2, 2)]:
        rate(completed_order(customer, provider), customer, scores)
    provider.refresh_from_db()
    assert provider.status == ProviderStatus.ACTIVE  # only two ratings: not judged yet
    rate(completed_order(customer, provider), customer, (2, 2, 3))  # mean of 3 is 2.78
    provider.refresh_from_db()
    assert provider.status == ProviderStatus.SUSPENDED
    event = ProviderEvent.objects.filter(provider=provider).first()
    assert (event.from_status, event.to_status, event.actor) == ("active", "suspended", None)
    assert event.reason == "Automatic: average rating 2.78 over the last 3 ratings is below 3.00."
    # A suspended provider gets no more offers.
    order = OrderFactory()
    assert provider not in candidates_for(order)


@pytest.mark.requirement("R-QC-3")
@pytest.mark.parametrize(
    ("history", "suspended"),
    [
        ([1, 1, 4, 4, 4], False),  # the two old low ratings have rolled out
        ([4, 4, 1, 1, 4], True),
    ],
)
def test_only_the_last_n_ratings_count(customer, settings, history, suspended):
    settings.RATING_ROLLING_COUNT = 3
    provider = ProviderFactory()
    for score in history:  # oldest first
        Rating.objects.create(
            order=completed_order(customer, provider),
            provider=provider,
            customer=customer,
            attitude=score,
            result=score,
            compliance=score,
        )
    assert services.suspend_if_rated_low(provider=provider) is suspended
    provider.refresh_from_db()
    assert (provider.status == ProviderStatus.SUSPENDED) is suspended


@pytest.mark.requirement("R-QC-3")
def test_an_average_exactly_at_the_threshold_does_not_suspend(customer, settings):
    settings.RATING_ROLLING_COUNT = 2
    settings.RATING_SUSPEND_THRESHOLD = 3.0
    provider = ProviderFactory()
    for scores in [(3, 3, 3), (3, 3, 3)]:
        rate(completed_order(customer, provider), customer, scores)
    provider.refresh_from_db()
    assert provider.status == ProviderStatus.ACTIVE


def test_the_closed_message_states_the_configured_window(
    customer_client, customer, provider, settings, time_machine
):
    settings.RATING_WINDOW_HOURS = 48
    order = completed_order(customer, provider)
    time_machine.move_to(timezone.now() + timedelta(hours=49))
    page = customer_client.get(reverse("orders:detail", args=[order.pk])).content.decode()
    assert "ratings are accepted within 48 hours of completion" in page
