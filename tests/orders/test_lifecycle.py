from datetime import timedelta

import pytest
import time_machine
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from orders.models import Order, OrderEvent, OrderStatus
from orders.services import common, lifecycle
from providers.models import ProviderStatus
from tests.factories import OrderFactory, ProviderFactory

from .contract_factories import sign_both
from .execution_helpers import REPORT, check_in

pytestmark = pytest.mark.django_db


@pytest.mark.requirement("R-ORD-3", "R-SEC-2")
def test_every_transition_is_recorded_with_who_when_and_why(customer, provider):
    order = OrderFactory(customer=customer, status=OrderStatus.REQUESTED)
    lifecycle.mark_offered(order=order, reason="Offered to a provider")
    lifecycle.confirm_order(order=order, provider=provider, actor=provider.user)
    sign_both(order)
    with time_machine.travel(order.starts_at):  # on site
        check_in(order)  # R-ORD-6: on arrival, before the start
        lifecycle.start_job(order=order, provider=provider)
        lifecycle.complete_job(order=order, provider=provider, summary=REPORT)
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    assert order.completed_at is not None
    events = list(order.events.values_list("from_status", "to_status", "actor_id", "reason"))
    assert events == [
        ("requested", "offered", None, "Offered to a provider"),
        ("offered", "confirmed", provider.user.pk, "Accepted by the provider"),
        (
            "confirmed",
            "confirmed",
            provider.user.pk,
            "The provider arrived and confirmed the details with the customer",
        ),
        ("confirmed", "in_progress", provider.user.pk, "Started on site"),
        ("in_progress", "completed", provider.user.pk, "Completed by the provider"),
    ]
    assert all(event.at for event in order.events.all())


@pytest.mark.requirement("R-ORD-3")
@pytest.mark.parametrize(
    ("status", "action"),
    [
        (OrderStatus.REQUESTED, "complete"),
        (OrderStatus.REQUESTED, "start"),
        (OrderStatus.COMPLETED, "cancel"),
        (OrderStatus.CANCELLED, "offer"),
    ],
)
def test_forbidden_transitions_are_refused_and_change_nothing(provider, status, action):
    order = OrderFactory(status=status, provider=provider)
    calls = {
        "complete": lambda: lifecycle.complete_job(order=order, provider=provider),
        "start": lambda: lifecycle.start_job(order=order, provider=provider),
        "cancel": lambda: lifecycle.cancel_order(order=order, actor=None, reason="changed mind"),
        "offer": lambda: lifecycle.mark_offered(order=order, reason="x"),
    }
    with pytest.raises(common.OrderError):
        calls[action]()
    order.refresh_from_db()
    assert order.status == status
    assert OrderEvent.objects.count() == 0


@pytest.mark.requirement("R-ORD-5")
def test_a_provider_is_never_confirmed_for_two_overlapping_jobs(provider):
    first = OrderFactory(status=OrderStatus.OFFERED)
    overlapping = OrderFactory(
        status=OrderStatus.OFFERED,
        starts_at=first.starts_at + timedelta(hours=1),
        ends_at=first.ends_at + timedelta(hours=1),
    )
    lifecycle.confirm_order(order=first, provider=provider, actor=provider.user)
    with pytest.raises(common.DoubleBookingError):
        lifecycle.confirm_order(order=overlapping, provider=provider, actor=provider.user)
    overlapping.refresh_from_db()
    assert overlapping.status == OrderStatus.OFFERED
    assert overlapping.provider is None


@pytest.mark.requirement("R-ORD-5")
def test_the_travel_buffer_separates_a_providers_jobs(provider, settings):
    settings.TRAVEL_BUFFER_MINUTES = 30
    first = OrderFactory(status=OrderStatus.OFFERED)
    lifecycle.confirm_order(order=first, provider=provider, actor=provider.user)
    first.refresh_from_db()
    assert first.blocked_until == first.ends_at + timedelta(minutes=30)
    too_soon = OrderFactory(
        status=OrderStatus.OFFERED,
        starts_at=first.ends_at + timedelta(minutes=15),
        ends_at=first.ends_at + timedelta(hours=2),
    )
    with pytest.raises(common.DoubleBookingError):
        lifecycle.confirm_order(order=too_soon, provider=provider, actor=provider.user)
    after_travel = OrderFactory(
        status=OrderStatus.OFFERED,
        starts_at=first.blocked_until,
        ends_at=first.blocked_until + timedelta(hours=2),
    )
    lifecycle.confirm_order(order=after_travel, provider=provider, actor=provider.user)
    assert Order.objects.filter(provider=provider, status=OrderStatus.CONFIRMED).count() == 2


@pytest.mark.requirement("R-ORD-5")
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="exclusion constraints need PostgreSQL"
)
def test_the_database_itself_refuses_overlapping_confirmed_jobs(provider, request):
    if request.config.getoption("nomigrations"):
        pytest.skip("the exclusion constraint is created by a migration")
    first = OrderFactory(status=OrderStatus.CONFIRMED, provider=provider)
    second = OrderFactory(
        status=OrderStatus.OFFERED, starts_at=first.starts_at, ends_at=first.ends_at
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Order.objects.filter(pk=second.pk).update(
            status=OrderStatus.CONFIRMED, provider=provider, blocked_until=second.ends_at
        )
    # A cancelled job no longer blocks the time.
    Order.objects.filter(pk=first.pk).update(status=OrderStatus.CANCELLED)
    Order.objects.filter(pk=second.pk).update(
        status=OrderStatus.CONFIRMED, provider=provider, blocked_until=second.ends_at
    )


@pytest.mark.requirement("R-ORD-3")
def test_customer_cancels_with_a_reason(customer_client, customer):
    order = OrderFactory(customer=customer, status=OrderStatus.OFFERED)
    response = customer_client.post(reverse("orders:cancel", args=[order.pk]), {"reason": "Travel"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert order.events.get().reason == "Travel"


def test_cancel_without_a_reason_changes_nothing(customer_client, customer):
    order = OrderFactory(customer=customer, status=OrderStatus.OFFERED)
    customer_client.post(reverse("orders:cancel", args=[order.pk]), {"reason": ""})
    order.refresh_from_db()
    assert order.status == OrderStatus.OFFERED


def test_another_customers_order_is_not_found(customer_client, other_customer):
    order = OrderFactory(customer=other_customer)
    assert customer_client.get(reverse("orders:detail", args=[order.pk])).status_code == 404
    response = customer_client.post(reverse("orders:cancel", args=[order.pk]), {"reason": "x"})
    assert response.status_code == 404
    order.refresh_from_db()
    assert order.status == OrderStatus.REQUESTED


def test_order_page_explains_when_no_provider_is_available(customer_client, customer):
    order = OrderFactory(customer=customer, status=OrderStatus.NO_PROVIDER)
    response = customer_client.get(reverse("orders:detail", args=[order.pk]))
    assert "no provider is free at that time" in response.content.decode()


def test_order_list_shows_only_own_orders_with_bounded_queries(
    customer_client, customer, other_customer, django_assert_max_num_queries
):
    OrderFactory.create_batch(15, customer=customer)
    OrderFactory(customer=other_customer, address="Elsewhere 99")
    with django_assert_max_num_queries(8):
        response = customer_client.get(reverse("orders:list"))
    assert len(response.context["page"]) == 15
    assert "Elsewhere 99" not in response.content.decode()


def test_order_list_empty_state(customer_client):
    response = customer_client.get(reverse("orders:list"))
    assert "You have no orders yet." in response.content.decode()


@pytest.mark.requirement("R-ORD-3")
def test_provider_cannot_start_someone_elses_job(client, provider, other_provider):
    order = OrderFactory(status=OrderStatus.CONFIRMED, provider=other_provider)
    client.force_login(provider.user)
    assert client.post(reverse("orders:job_start", args=[order.pk])).status_code == 404
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED


def test_cancellable_statuses_match_the_transition_table():
    for status in OrderStatus:
        order = Order(status=status)
        allowed = OrderStatus.CANCELLED in common.ALLOWED_TRANSITIONS[status]
        assert order.is_cancellable == allowed


@pytest.mark.requirement("R-MAT-1")
def test_the_order_admin_offers_only_bookable_providers_as_preferred(rf, operator):
    active = ProviderFactory()
    on_probation = ProviderFactory(status=ProviderStatus.PROBATION)
    applicant = ProviderFactory(status=ProviderStatus.APPLIED)
    suspended = ProviderFactory(status=ProviderStatus.SUSPENDED)
    request = rf.get("/")
    request.user = operator
    form = admin.site._registry[Order].get_form(request)
    field = form.base_fields["preferred_provider"]
    assert set(field.queryset) == {active, on_probation}
    assert field.clean(active.pk) == active
    for refused in (applicant, suspended):
        with pytest.raises(ValidationError):
            field.clean(refused.pk)
