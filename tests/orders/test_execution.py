"""Doing the job (R-ORD-6): arrival check-in within its window, start only after it, completion
only with a report, and the pages and messages around them."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse

from orders.models import (
    ArrivalCheckIn,
    CompletionReport,
    OrderEvent,
    OrderOption,
    OrderStatus,
)
from orders.services import common, execution, lifecycle
from tests.factories import OrderFactory, local_datetime

from .care_factories import care_order
from .catalogue_factories import ServiceOptionFactory
from .contract_factories import sign_as, sign_both
from .execution_helpers import REPORT, check_in, complete

pytestmark = pytest.mark.django_db

ARRIVED = "The provider arrived and confirmed the details with the customer"
CLEANING_ITEMS = ["address", "service", "home_area"]


@pytest.fixture
def job(customer, provider, service, area):
    """A signed job tomorrow 10:00-12:00."""
    order = OrderFactory(
        customer=customer,
        provider=provider,
        service_type=service,
        area=area,
        status=OrderStatus.CONFIRMED,
        starts_at=local_datetime(1, 10),
        ends_at=local_datetime(1, 12),
    )
    sign_both(order)
    return order


def do_check_in(order, provider, items=None, differences=""):
    return execution.check_in(
        order=order,
        provider=provider,
        confirmed_items=CLEANING_ITEMS if items is None else items,
        differences=differences,
    )


def nothing_recorded(order):
    order.refresh_from_db()
    return (
        order.status == OrderStatus.CONFIRMED
        and not ArrivalCheckIn.objects.exists()
        and not order.events.filter(reason=ARRIVED).exists()
    )


# --- Check-in ----------------------------------------------------------------------------


@pytest.mark.requirement("R-ORD-6")
@pytest.mark.parametrize(
    ("moment", "allowed"),
    [
        (lambda o: o.starts_at - timedelta(minutes=60, seconds=1), False),
        (lambda o: o.starts_at - timedelta(minutes=60), True),
        (lambda o: o.starts_at, True),
        (lambda o: o.ends_at, True),
        (lambda o: o.ends_at + timedelta(seconds=1), False),
    ],
    ids=["before-window", "window-opens", "start", "scheduled-end", "after-end"],
)
def test_check_in_is_allowed_only_within_its_window(
    job, provider, settings, time_machine, moment, allowed
):
    settings.CHECK_IN_OPENS_MINUTES_BEFORE = 60
    time_machine.move_to(moment(job), tick=False)
    if allowed:
        record = do_check_in(job, provider)
        assert record.confirmed_items == CLEANING_ITEMS
        assert job.events.get(reason=ARRIVED).to_status == OrderStatus.CONFIRMED
    else:
        with pytest.raises(execution.ExecutionError) as caught:
            do_check_in(job, provider)
        assert ("opens at" in caught.value.message) is (moment(job) < job.starts_at)
        assert nothing_recorded(job)


@pytest.mark.requirement("R-ORD-6")
def test_check_in_waits_for_both_signatures(customer, provider, service, area, time_machine):
    order = OrderFactory(
        customer=customer, provider=provider, service_type=service, area=area,
        status=OrderStatus.CONFIRMED,
    )  # fmt: skip
    time_machine.move_to(order.starts_at, tick=False)
    sign_as(order, "provider")
    with pytest.raises(execution.ExecutionError, match="both signed the contract"):
        do_check_in(order, provider)
    assert nothing_recorded(order)


@pytest.mark.requirement("R-ORD-6")
def test_only_the_assigned_provider_checks_in_and_only_once(
    job, provider, other_provider, time_machine
):
    time_machine.move_to(job.starts_at, tick=False)
    with pytest.raises(common.OrderError, match="not assigned to you"):
        do_check_in(job, other_provider)
    assert nothing_recorded(job)
    do_check_in(job, provider)
    with pytest.raises(execution.ExecutionError, match="already checked in"):
        do_check_in(job, provider)
    assert ArrivalCheckIn.objects.count() == 1


@pytest.mark.requirement("R-ORD-6")
@pytest.mark.parametrize(
    "items",
    [[], ["address", "service"], [*CLEANING_ITEMS, "person_cared_for"]],
    ids=["nothing-ticked", "one-missing", "one-not-on-the-list"],
)
def test_every_item_of_the_checklist_must_be_ticked(job, provider, time_machine, items):
    time_machine.move_to(job.starts_at, tick=False)
    with pytest.raises(execution.ExecutionError, match="tick it"):
        do_check_in(job, provider, items=items)
    assert nothing_recorded(job)


def test_the_checklist_follows_the_booking(provider):
    cleaning = OrderFactory(notes="Use our own products")
    assert execution.check_in_items(cleaning) == [*CLEANING_ITEMS, "personal_requests"]
    assert execution.check_in_items(care_order()) == ["address", "service", "person_cared_for"]


@pytest.mark.requirement("R-ORD-6")
def test_differences_are_recorded_encrypted_and_the_customer_is_told(
    job, provider, customer, time_machine, sms_outbox, django_capture_on_commit_callbacks
):
    time_machine.move_to(job.starts_at, tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        record = do_check_in(job, provider, differences="  The home is 140 m², not 80.  ")
    assert (record.has_differences, record.differences) == (True, "The home is 140 m², not 80.")
    event = job.events.get(to_status=OrderStatus.CONFIRMED, from_status=OrderStatus.CONFIRMED)
    assert event.reason == "The provider arrived; some details differ from the booking"
    with connection.cursor() as cursor:
        cursor.execute("SELECT differences FROM orders_arrivalcheckin")
        assert "140" not in cursor.fetchone()[0]
    texts = [sms["text"] for sms in sms_outbox if sms["to"] == str(customer.phone)]
    assert texts == [
        f"Order #{job.pk}: {provider.first_name} has arrived and checked the details with you."
    ]


@pytest.mark.requirement("R-ORD-6")
def test_no_message_when_the_check_in_is_refused(
    job, other_provider, time_machine, sms_outbox, django_capture_on_commit_callbacks
):
    time_machine.move_to(job.starts_at, tick=False)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(common.OrderError):
        do_check_in(job, other_provider)
    assert sms_outbox == []


@pytest.mark.requirement("R-ORD-6", "R-ORD-3")
@pytest.mark.parametrize(
    "status", [OrderStatus.IN_PROGRESS, OrderStatus.COMPLETED, OrderStatus.CANCELLED]
)
def test_check_in_is_only_for_a_confirmed_job(provider, status, time_machine):
    order = OrderFactory(provider=provider, status=status)
    time_machine.move_to(order.starts_at, tick=False)
    with pytest.raises(execution.ExecutionError, match="only to a confirmed job"):
        do_check_in(order, provider)
    assert not ArrivalCheckIn.objects.exists()
    assert OrderEvent.objects.count() == 0


# --- Start -------------------------------------------------------------------------------


@pytest.mark.requirement("R-ORD-6")
def test_the_job_starts_only_after_the_check_in(job, provider):
    with pytest.raises(common.OrderError, match="Check in with the customer"):
        lifecycle.start_job(order=job, provider=provider)
    job.refresh_from_db()
    assert job.status == OrderStatus.CONFIRMED
    assert not job.events.filter(to_status=OrderStatus.IN_PROGRESS).exists()
    check_in(job)
    lifecycle.start_job(order=job, provider=provider)
    job.refresh_from_db()
    assert job.status == OrderStatus.IN_PROGRESS


# --- Completion --------------------------------------------------------------------------


@pytest.fixture
def running(job, provider):
    check_in(job)
    return lifecycle.start_job(order=job, provider=provider)


def add_option(order, code, name):
    option = ServiceOptionFactory(service_type=order.service_type, code=code, name=name)
    return OrderOption.objects.create(order=order, option=option, name=name, price=Decimal("0"))


@pytest.mark.requirement("R-ORD-6")
@pytest.mark.parametrize("summary", ["", "   "])
def test_completion_is_refused_without_a_report(running, provider, summary):
    with pytest.raises(execution.ExecutionError, match="Write a short report"):
        lifecycle.complete_job(order=running, provider=provider, summary=summary)
    running.refresh_from_db()
    assert running.status == OrderStatus.IN_PROGRESS
    assert running.completed_at is None
    assert not CompletionReport.objects.exists()


@pytest.mark.requirement("R-ORD-6")
def test_the_report_says_for_each_option_whether_it_was_done(running, provider):
    add_option(running, "inside-fridge", "Inside the fridge")
    add_option(running, "windows", "Windows")
    with pytest.raises(execution.ExecutionError, match="“Windows” was done"):
        complete(running, options_done={"inside-fridge": True})
    with pytest.raises(execution.ExecutionError, match="not booked"):
        complete(running, options_done={"inside-fridge": True, "windows": True, "oven": True})
    assert not CompletionReport.objects.exists()
    complete(running, summary="  Kitchen and two rooms.  ", options_done={
        "inside-fridge": True, "windows": False,
    })  # fmt: skip
    report = CompletionReport.objects.get(order=running)
    assert report.summary == "Kitchen and two rooms."
    assert report.provider == provider
    assert report.options_done == [
        {"code": "inside-fridge", "name": "Inside the fridge", "done": True},
        {"code": "windows", "name": "Windows", "done": False},
    ]
    running.refresh_from_db()
    assert running.status == OrderStatus.COMPLETED


@pytest.mark.requirement("R-ORD-6", "R-ORD-3")
def test_a_confirmed_job_cannot_be_completed_even_with_a_report(job, provider):
    check_in(job)
    with pytest.raises(common.OrderError, match="cannot become completed"):
        lifecycle.complete_job(order=job, provider=provider, summary=REPORT)
    assert not CompletionReport.objects.exists()
    job.refresh_from_db()
    assert job.status == OrderStatus.CONFIRMED


@pytest.mark.requirement("R-ORD-6")
def test_the_customer_sees_the_report_on_the_order_page(customer_client, running):
    add_option(running, "windows", "Windows")
    complete(running, options_done={"windows": False})
    page = customer_client.get(reverse("orders:detail", args=[running.pk])).content.decode()
    assert 'id="completion-report"' in page
    assert REPORT in page
    assert "Not done: Windows" in page


@pytest.mark.requirement("R-ORD-6")
def test_completing_keeps_the_order_completed_signal(running, provider):
    from orders.signals import order_completed

    received = []

    def receiver(sender, order, **kwargs):
        received.append(order.pk)

    order_completed.connect(receiver)
    try:
        complete(running)
    finally:
        order_completed.disconnect(receiver)
    assert received == [running.pk]


# --- The provider's job page -------------------------------------------------------------


@pytest.mark.requirement("R-ORD-6")
def test_the_job_page_is_for_the_assigned_provider_only(client, job, other_provider, customer):
    url = reverse("orders:job_detail", args=[job.pk])
    client.force_login(other_provider.user)
    assert client.get(url).status_code == 404
    assert client.post(reverse("orders:job_check_in", args=[job.pk])).status_code == 404
    client.force_login(customer)
    assert client.get(url).status_code == 403


@pytest.mark.requirement("R-ORD-6")
def test_the_provider_checks_in_starts_and_completes_on_the_job_page(
    client, job, provider, customer, time_machine
):
    client.force_login(provider.user)
    url = reverse("orders:job_detail", args=[job.pk])
    page = client.get(url).content.decode()
    assert "Check-in opens at" in page
    assert customer.first_name in page and job.address in page
    time_machine.move_to(job.starts_at - timedelta(minutes=10), tick=False)
    page = client.get(url).content.decode()
    assert 'id="check-in-form"' in page
    check_in_url = reverse("orders:job_check_in", args=[job.pk])
    refused = client.post(check_in_url, {"item_address": "on", "item_service": "on"})
    assert refused.status_code == 400
    assert "Check this with the customer, then tick it." in refused.content.decode()
    assert not ArrivalCheckIn.objects.exists()
    ticked = {f"item_{code}": "on" for code in CLEANING_ITEMS}
    response = client.post(check_in_url, {**ticked, "differences": "Two cats"})
    assert response["Location"] == url
    assert ArrivalCheckIn.objects.get().differences == "Two cats"

    page = client.get(url).content.decode()
    assert reverse("orders:job_start", args=[job.pk]) in page
    response = client.post(reverse("orders:job_start", args=[job.pk]), {"next": url})
    assert response["Location"] == url
    job.refresh_from_db()
    assert job.status == OrderStatus.IN_PROGRESS

    complete_url = reverse("orders:job_complete", args=[job.pk])
    assert 'id="completion-form"' in client.get(url).content.decode()
    missing = client.post(complete_url, {"summary": " ", "next": url})
    assert missing.status_code == 400
    refused = missing.content.decode()
    assert "Write a short report of what was done" in refused
    # The refused page's form sends the provider back to the job, as the first one did (not
    # to the address it was refused at, which answers only POST).
    form = re.search(r'<form[^>]*id="completion-form".*?</form>', refused, re.DOTALL).group(0)
    [next_url] = re.findall(r'name="next" value="([^"]+)"', form)
    assert next_url == url
    response = client.post(complete_url, {"summary": REPORT, "next": next_url})
    assert response["Location"] == url
    job.refresh_from_db()
    assert job.status == OrderStatus.COMPLETED
    assert REPORT in client.get(url).content.decode()


@pytest.mark.requirement("R-ORD-6")
def test_an_outside_next_address_is_not_followed(client, job, provider):
    check_in(job)
    client.force_login(provider.user)
    response = client.post(
        reverse("orders:job_start", args=[job.pk]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("matching:dashboard")


@pytest.mark.requirement("R-ORD-6")
def test_staff_see_the_check_in_differences_and_the_report_on_the_order_admin(
    client, operator, job, provider
):
    check_in(job, differences="The home is much larger")
    lifecycle.start_job(order=job, provider=provider)
    complete(job)
    client.force_login(operator)
    page = client.get(reverse("admin:orders_order_change", args=[job.pk])).content.decode()
    assert "The home is much larger" in page
    assert REPORT in page
    changelist = reverse("admin:orders_order_changelist")
    listing = client.get(changelist + "?check_in__has_differences__exact=1")
    assert listing.status_code == 200
    assert f"/{job.pk}/change/" in listing.content.decode()
    none = client.get(changelist + "?check_in__has_differences__exact=0")
    assert f"/{job.pk}/change/" not in none.content.decode()


@pytest.mark.requirement("R-ORD-6")
def test_the_api_order_detail_carries_the_report(customer, running):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(customer)
    url = reverse("api:order", args=[running.pk])
    assert api.get(url).json()["completion_report"] is None
    complete(running)
    report = api.get(url).json()["completion_report"]
    assert (report["summary"], report["options_done"]) == (REPORT, [])
