"""A contract that follows the job, and the price of the provider who does it (issue 11 item 1,
issue 12 item 1; R-ORD-2, R-ORD-4, R-ORD-5).

A signed contract is never edited: a change of provider, time or price voids it (recorded,
both parties told) and issues a new one; the job starts only once the provider named in the
contract in force and the customer have both signed it. The customer pays the price of the
provider who does the job, the tier line saying why.
"""

from datetime import time, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from orders.models import Contract, ContractParty, ContractStatus, Order, OrderEvent, OrderStatus
from orders.services import contracts, lifecycle
from orders.services.booking import BookingRequest, book_order, check_booking
from providers.models import ProviderTier
from tests.factories import ProviderFactory

from .contract_factories import sign_as, sign_both

pytestmark = pytest.mark.django_db

BASE = Decimal("3700000")  # 80 m² of the test service at the default price


def tomorrow():
    return timezone.localdate() + timedelta(days=1)


@pytest.fixture
def booked(customer, provider, service, area, settings):
    settings.MATCHING_MODE = "auto"
    settings.FREE_CANCELLATION_HOURS = 1
    request = BookingRequest(
        service_type=service,
        area=area,
        address="12 Valiasr Street",
        day=tomorrow(),
        start=time(10),
        home_area_sqm=80,
    )
    order = book_order(customer=customer, booking=check_booking(request))
    assert order.price == BASE
    return Order.objects.get(pk=order.pk)


def confirmed_with(order, provider, actor=None):
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.REQUESTED, provider=None)
    return lifecycle.confirm_order(
        order=Order.objects.get(pk=order.pk), provider=provider, actor=actor or provider.user
    )


def sms_to(outbox, user):
    return [message["text"] for message in outbox if message["to"] == str(user.phone)]


# --- The price of the provider who does the job -------------------------------------------


@pytest.mark.requirement("R-ORD-2")
@pytest.mark.parametrize(
    ("tier", "price", "line"),
    [
        (ProviderTier.STANDARD, BASE, None),
        (ProviderTier.EXPERIENCED, Decimal("4255000"), "Provider tier: Experienced (\u00d71.15)"),
        (ProviderTier.EXPERT, Decimal("4810000"), "Provider tier: Expert (\u00d71.3)"),
    ],
)
def test_the_order_is_priced_for_the_tier_of_the_provider_who_takes_it(booked, tier, price, line):
    worker = ProviderFactory(tier=tier)
    order = confirmed_with(booked, worker)
    order.refresh_from_db()
    assert order.price == price
    labels = [item.label for item in order.price_breakdown]
    assert (line in labels) if line else not any("tier" in label for label in labels)
    contract = contracts.current_contract(order)
    assert contract.price == price
    assert f"{price:,.0f}" in contract.text  # the contract states what is charged
    repriced = order.events.filter(reason=lifecycle.REPRICED_REASON).exists()
    assert repriced == (tier != ProviderTier.STANDARD)


@pytest.mark.requirement("R-ORD-2", "R-ORD-4")
def test_a_job_matched_again_to_another_tier_is_repriced_and_its_signed_contract_replaced(
    booked, customer, sms_outbox, django_capture_on_commit_callbacks
):
    expert = ProviderFactory(tier=ProviderTier.EXPERT)
    standard = ProviderFactory(tier=ProviderTier.STANDARD)
    order = confirmed_with(booked, expert)
    first = sign_both(order)
    with django_capture_on_commit_callbacks(execute=True):
        order = confirmed_with(order, standard, actor=customer)
    order.refresh_from_db()
    assert order.price == BASE
    first.refresh_from_db()
    assert (first.status, first.void_reason, first.voided_by) == (
        ContractStatus.VOIDED,
        contracts.CHANGED_PROVIDER,
        customer,
    )
    assert first.text and first.signatures.count() == 2  # kept as it was signed
    second = contracts.current_contract(order)
    assert (second.provider, second.price, second.signatures.count()) == (standard, BASE, 0)
    assert any("no longer applies" in text for text in sms_to(sms_outbox, expert.user))
    assert any("no longer applies" in text for text in sms_to(sms_outbox, customer))


# --- A change of time ---------------------------------------------------------------------


@pytest.mark.requirement("R-ORD-4", "R-ORD-5")
def test_a_new_time_with_the_same_provider_voids_the_signed_contract_and_issues_a_new_one(
    booked, customer, provider, sms_outbox, django_capture_on_commit_callbacks
):
    order = confirmed_with(booked, provider)
    old = sign_both(order)
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.reschedule_order(
            order=order, actor=customer, day=tomorrow(), start=time(14), reason="Guests"
        )
    order.refresh_from_db()
    old.refresh_from_db()
    assert (order.status, order.provider) == (OrderStatus.CONFIRMED, provider)
    assert (old.status, old.void_reason) == (ContractStatus.VOIDED, contracts.CHANGED_TIME)
    new = contracts.current_contract(order)
    assert new.starts_at == order.starts_at
    assert f"{tomorrow().isoformat()}, from 14:00" in new.text
    assert f"{tomorrow().isoformat()}, from 10:00" in old.text  # the old text is as signed
    assert not contracts.order_is_fully_signed(order)
    # The job cannot start until both sign the contract for the new time.
    Order.objects.filter(pk=order.pk).update(starts_at=timezone.now() + timedelta(minutes=30))
    with pytest.raises(ValidationError):
        lifecycle.start_job(order=order, provider=provider)
    assert any("no longer applies" in text for text in sms_to(sms_outbox, customer))
    assert any("no longer applies" in text for text in sms_to(sms_outbox, provider.user))
    assert order.events.filter(reason=contracts.CONTRACT_VOIDED).count() == 1


@pytest.mark.requirement("R-ORD-4", "R-ORD-5")
def test_the_next_provider_signs_a_contract_naming_them_and_the_first_cannot(
    booked, customer, provider, other_provider
):
    order = confirmed_with(booked, provider)
    old = sign_both(order)
    later = timezone.localtime(order.starts_at) + timedelta(days=1)
    provider.working_hours.filter(weekday=later.weekday()).delete()
    lifecycle.reschedule_order(
        order=order,
        actor=customer,
        day=later.date(),
        start=later.time(),
        reason="Away",
        release_provider=True,
    )
    old.refresh_from_db()
    assert old.status == ContractStatus.VOIDED
    order = confirmed_with(Order.objects.get(pk=order.pk), other_provider)
    new = contracts.current_contract(order)
    assert new.provider == other_provider
    with pytest.raises(ValidationError):  # signed by role no more: by the provider named
        contracts.sign_contract(
            contract=new,
            party=ContractParty.PROVIDER,
            user=provider.user,
            typed_name=provider.user.full_name,
            ip_address=None,
            user_agent="",
        )
    with pytest.raises(ValidationError):  # a voided contract is never signed again
        contracts.sign_contract(
            contract=old,
            party=ContractParty.CUSTOMER,
            user=customer,
            typed_name=customer.full_name,
            ip_address=None,
            user_agent="",
        )
    sign_as(order, ContractParty.PROVIDER)
    assert not contracts.order_is_fully_signed(order)
    sign_as(order, ContractParty.CUSTOMER)
    assert contracts.order_is_fully_signed(order)


@pytest.mark.requirement("R-ORD-4")
def test_a_voided_contract_cannot_be_changed_or_revived(booked, provider, customer):
    order = confirmed_with(booked, provider)
    contract = sign_both(order)
    contracts.void_contract(order=order, actor=customer, reason="test")
    with pytest.raises(Exception):  # the database refuses it (a trigger)
        Contract.objects.filter(pk=contract.pk).update(status=ContractStatus.CURRENT)
    with pytest.raises(Exception):
        Contract.objects.filter(pk=contract.pk).update(price=Decimal("1"))


@pytest.mark.requirement("R-ORD-4")
def test_the_verification_page_and_the_pdf_follow_the_contract_in_force(
    booked, provider, customer, client
):
    order = confirmed_with(booked, provider)
    old = sign_both(order)
    lifecycle.reschedule_order(
        order=order, actor=customer, day=tomorrow(), start=time(15), reason="x"
    )
    page = client.get(reverse("contract_verify", args=[old.public_id])).content.decode()
    assert "Voided" in page and "The time changed" in page
    new = contracts.current_contract(order)
    page = client.get(reverse("contract_verify", args=[new.public_id])).content.decode()
    assert "In force" in page and provider.first_name in page


# --- Choosing the new time on the page and in the app ------------------------------------


@pytest.mark.requirement("R-ORD-5")
def test_the_page_lists_the_providers_times_first_and_asks_before_releasing_them(
    booked, provider, other_provider, customer_client
):
    order = confirmed_with(booked, provider)
    sign_both(order)
    # Maryam works until 13:00 that day; Elena all day.
    day = tomorrow()
    provider.working_hours.filter(weekday=day.weekday()).update(ends=time(13))
    url = reverse("orders:reschedule", args=[order.pk])
    page = customer_client.get(url, {"day": day.isoformat()}).content.decode()
    assert "With Maryam" in page and "With another provider (Maryam is released)" in page
    assert page.index("With Maryam") < page.index("With another provider")
    refused = customer_client.post(
        url, {"day": day.isoformat(), "start": "15:00", "reason": "Later"}
    )
    assert refused.status_code == 200
    assert "Maryam is not free at the new time" in refused.content.decode()
    order.refresh_from_db()
    assert (order.status, order.provider, timezone.localtime(order.starts_at).hour) == (
        OrderStatus.CONFIRMED,
        provider,
        timezone.localtime(booked.starts_at).hour,
    )
    done = customer_client.post(
        url,
        {"day": day.isoformat(), "start": "15:00", "reason": "Later", "release_provider": "on"},
    )
    assert done.status_code == 302
    order.refresh_from_db()
    assert order.provider is None and order.status in (OrderStatus.REQUESTED, OrderStatus.OFFERED)
    assert contracts.current_contract(order) is None


@pytest.mark.requirement("R-ORD-5")
def test_the_api_lists_new_times_and_refuses_to_release_the_provider_unasked(
    booked, provider, other_provider, customer
):
    order = confirmed_with(booked, provider)
    day = tomorrow()
    provider.working_hours.filter(weekday=day.weekday()).update(ends=time(13))
    api = APIClient()
    api.force_authenticate(customer)
    times = api.get(
        reverse("api:order_new_times", args=[order.pk]), {"day": day.isoformat()}
    ).json()["times"]
    assert {"start": "10:30", "keeps_provider": True} in times
    assert {"start": "15:00", "keeps_provider": False} in times
    assert [t["keeps_provider"] for t in times] == sorted(
        (t["keeps_provider"] for t in times), reverse=True
    )
    url = reverse("api:order_reschedule", args=[order.pk])
    body = {"day": day.isoformat(), "start": "15:00", "reason": "Later"}
    refused = api.post(url, body, format="json")
    assert refused.status_code == 400
    assert "release_provider" in refused.json()["errors"]
    assert Order.objects.get(pk=order.pk).provider == provider
    done = api.post(url, {**body, "release_provider": True}, format="json")
    assert done.status_code == 200 and done.json()["status"] in ("requested", "offered")
    assert OrderEvent.objects.filter(order=order, reason=lifecycle.RELEASED_REASON).exists()
