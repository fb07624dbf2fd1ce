"""Recurring cleaning (issue 4): weekly or fortnightly series booked ahead by a beat task, once
per date however often or in however many workers it runs, with the same provider preferred,
dates that cannot be booked recorded and told once, pause/resume/end audited, and a standing
agreement that signs each occurrence's contract for the customer."""

import hashlib
import threading
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from orders.models import (
    Channel,
    ContractParty,
    Order,
    OrderOption,
    OrderStatus,
    RecurringSeries,
    SeriesAgreement,
    SeriesInterval,
    SeriesOccurrence,
    SeriesStatus,
)
from orders.services import common, lifecycle, recurring
from orders.services.contracts import generate_contract, sign_contract
from orders.tasks import create_recurring_orders_task
from providers.models import TimeOff
from tests.factories import (
    AreaFactory,
    CustomerFactory,
    OrderFactory,
    ProviderFactory,
    ServiceTypeFactory,
)

from .catalogue_factories import ServiceOptionFactory, price_option
from .recurring_factories import agreement_for, repeatable_order, start_weekly

TEHRAN = ZoneInfo("Asia/Tehran")
# Saturday 14 March 2026, noon in Tehran. Until 2022 Iran moved its clocks on 22 March; the
# dates below straddle that day and must keep their local time and the +03:30 offset.
NOW = datetime(2026, 3, 14, 12, 0, tzinfo=TEHRAN)
FIRST_VISIT = datetime(2026, 3, 14, 9, 0, tzinfo=TEHRAN)


@pytest.fixture(autouse=True)
def _frozen(time_machine, settings):
    settings.TIME_ZONE = "Asia/Tehran"
    settings.RECURRING_HORIZON_DAYS = 14
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def first_order(db, customer, provider, service, area):
    return repeatable_order(
        customer=customer, provider=provider, service=service, area=area, starts_at=FIRST_VISIT
    )


def occurrence_orders(series):
    return [o.order for o in series.occurrences.select_related("order").filter(order__isnull=False)]


def local_starts(series):
    return [timezone.localtime(order.starts_at, TEHRAN) for order in occurrence_orders(series)]


def texts_to(outbox, user):
    return [sms["text"] for sms in outbox if sms["to"] == str(user.phone)]


# --- Dates -----------------------------------------------------------------------------------


@pytest.mark.requirement("R-ORD-1")
def test_weekly_series_books_each_week_at_the_same_local_time(first_order, provider):
    series = start_weekly(first_order)

    assert series.status == SeriesStatus.ACTIVE
    assert series.weekday == 5  # Saturday
    assert series.start_time == time(9)
    assert series.starts_on == date(2026, 3, 21)
    starts = local_starts(series)
    assert [s.date() for s in starts] == [date(2026, 3, 21), date(2026, 3, 28)]
    assert {(s.hour, s.minute) for s in starts} == {(9, 0)}
    # Tehran keeps +03:30 all year now: the same 05:30 UTC on both sides of 22 March.
    assert {s.utcoffset() for s in starts} == {timedelta(hours=3, minutes=30)}
    assert {o.starts_at.astimezone(ZoneInfo("UTC")).time() for o in occurrence_orders(series)} == {
        time(5, 30)
    }
    for order in occurrence_orders(series):
        assert order.status == OrderStatus.REQUESTED
        assert order.channel == Channel.RECURRING
        assert order.customer == first_order.customer
        assert order.address == first_order.address
        assert order.home_area_sqm == first_order.home_area_sqm
        assert order.preferred_provider == provider
        assert order.ends_at - order.starts_at == timedelta(hours=2)


@pytest.mark.requirement("R-ORD-1")
def test_fortnightly_series_books_every_other_week_as_time_goes_on(first_order, time_machine):
    series = start_weekly(first_order, interval=SeriesInterval.FORTNIGHTLY)
    assert [s.date() for s in local_starts(series)] == [date(2026, 3, 28)]

    time_machine.move_to(NOW + timedelta(days=14), tick=False)
    run = recurring.create_upcoming_occurrences()

    assert (run.booked, run.skipped) == (1, 0)
    assert [s.date() for s in local_starts(series)] == [date(2026, 3, 28), date(2026, 4, 11)]


@pytest.mark.requirement("R-ORD-1")
def test_horizon_setting_decides_how_far_ahead(first_order, settings):
    settings.RECURRING_HORIZON_DAYS = 28
    series = start_weekly(first_order)
    assert [s.date() for s in local_starts(series)] == [
        date(2026, 3, 21),
        date(2026, 3, 28),
        date(2026, 4, 4),
        date(2026, 4, 11),
    ]


def test_series_ending_on_a_date_books_nothing_after_it(first_order):
    series = start_weekly(first_order)
    RecurringSeries.objects.filter(pk=series.pk).update(ends_on=date(2026, 3, 21))
    series.refresh_from_db()
    assert series.dates_between(date(2026, 3, 14), date(2026, 4, 30)) == [date(2026, 3, 21)]


def test_dates_in_the_past_and_inside_the_lead_time_are_not_booked(first_order, time_machine):
    series = start_weekly(first_order)
    SeriesOccurrence.objects.filter(series=series).delete()
    Order.objects.filter(channel=Channel.RECURRING).delete()
    # Saturday 21 March at 08:30: the 09:00 visit is inside the 60-minute lead time.
    time_machine.move_to(datetime(2026, 3, 21, 8, 30, tzinfo=TEHRAN), tick=False)

    recurring.create_upcoming_occurrences()

    assert [s.date() for s in local_starts(series)] == [date(2026, 3, 28), date(2026, 4, 4)]
    assert not series.occurrences.filter(occurs_on=date(2026, 3, 21)).exists()


# --- Idempotency and concurrency --------------------------------------------------------------


@pytest.mark.requirement("R-ORD-1", "R-ORD-5")
def test_running_the_task_twice_creates_nothing_twice(first_order, time_machine):
    series = start_weekly(first_order)
    time_machine.move_to(NOW + timedelta(days=7), tick=False)

    assert create_recurring_orders_task.apply().get() == {"booked": 1, "skipped": 0}
    orders_after_first_run = Order.objects.count()
    assert create_recurring_orders_task.apply().get() == {"booked": 0, "skipped": 0}

    assert Order.objects.count() == orders_after_first_run
    assert list(series.occurrences.values_list("occurs_on", flat=True)) == [
        date(2026, 3, 21),
        date(2026, 3, 28),
        date(2026, 4, 4),
    ]
    assert Order.objects.filter(channel=Channel.RECURRING).count() == 3


def test_database_refuses_a_second_row_for_the_same_date(first_order):
    series = start_weekly(first_order)
    with pytest.raises(IntegrityError), transaction.atomic():
        SeriesOccurrence.objects.create(
            series=series, occurs_on=date(2026, 3, 21), problem="duplicate"
        )


@pytest.fixture
def on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("the race is decided by PostgreSQL row locks")


@pytest.mark.requirement("R-ORD-1", "R-ORD-5")
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_book_each_date_once(on_postgresql, time_machine):
    customer = CustomerFactory(full_name="Sara Customer")
    provider = ProviderFactory()
    first = repeatable_order(
        customer=customer,
        provider=provider,
        service=ServiceTypeFactory(),
        area=AreaFactory(),
        starts_at=FIRST_VISIT,
    )
    series = recurring.start_series(
        order=first, actor=customer, interval=SeriesInterval.WEEKLY, now=NOW
    )
    SeriesOccurrence.objects.filter(series=series).delete()
    Order.objects.filter(channel=Channel.RECURRING).delete()

    barrier = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            barrier.wait(timeout=30)
            results.append(recurring.create_upcoming_occurrences(now=NOW))
        except Exception as error:  # asserted below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sorted(r.booked for r in results) == [0, 2]
    assert series.occurrences.count() == 2
    assert Order.objects.filter(channel=Channel.RECURRING).count() == 2


# --- Dates that cannot be booked ------------------------------------------------------------


@pytest.mark.requirement("R-ORD-1", "R-ORD-5")
def test_date_nobody_can_take_is_recorded_and_the_customer_told_once(
    first_order, provider, customer, sms_outbox, django_capture_on_commit_callbacks
):
    TimeOff.objects.create(
        provider=provider, starts_on=date(2026, 3, 21), ends_on=date(2026, 3, 21)
    )
    with django_capture_on_commit_callbacks(execute=True):
        series = start_weekly(first_order)
    with django_capture_on_commit_callbacks(execute=True):
        again = recurring.create_upcoming_occurrences()

    skipped = series.occurrences.get(occurs_on=date(2026, 3, 21))
    assert skipped.order is None
    assert skipped.problem == "No provider is free at that time."
    assert skipped.customer_told_at is not None
    assert [s.date() for s in local_starts(series)] == [date(2026, 3, 28)]
    assert (again.booked, again.skipped) == (0, 0)
    told = [t for t in texts_to(sms_outbox, customer) if "could not book" in t]
    assert told == [
        "We could not book your recurring Standard home cleaning on 2026-03-21: "
        "No provider is free at that time. Please book another time."
    ]


def test_date_refused_by_a_booking_rule_is_recorded(first_order, service):
    series = start_weekly(first_order, now=NOW)
    SeriesOccurrence.objects.filter(series=series).delete()
    Order.objects.filter(channel=Channel.RECURRING).delete()
    type(service).objects.filter(pk=service.pk).update(is_active=False)

    run = recurring.create_upcoming_occurrences()

    assert (run.booked, run.skipped) == (0, 2)
    assert set(series.occurrences.values_list("problem", flat=True)) == {
        "This service is not offered at the moment."
    }
    assert not Order.objects.filter(channel=Channel.RECURRING).exists()


def test_next_cleaning_booked_message(
    first_order, customer, sms_outbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        series = start_weekly(first_order)
    first, second = occurrence_orders(series)
    booked = [t for t in texts_to(sms_outbox, customer) if t.startswith("Your next cleaning")]
    assert booked == [
        f"Your next cleaning is booked for 2026-03-21 09:00: Standard home cleaning, order "
        f"#{first.pk}, {first.price:,.0f} IRR. We are asking your provider.",
        f"Your next cleaning is booked for 2026-03-28 09:00: Standard home cleaning, order "
        f"#{second.pk}, {second.price:,.0f} IRR. We are asking your provider.",
    ]
    assert not [t for t in texts_to(sms_outbox, customer) if t.startswith("Order #")]


# --- Lifecycle --------------------------------------------------------------------------------


@pytest.mark.requirement("R-ORD-3")
def test_paused_series_books_nothing_until_resumed(first_order, customer, time_machine):
    series = start_weekly(first_order)
    recurring.pause_series(series=series, actor=customer, reason="Travelling")
    time_machine.move_to(NOW + timedelta(days=14), tick=False)

    assert recurring.create_upcoming_occurrences().booked == 0
    assert series.occurrences.count() == 2

    recurring.resume_series(series=series, actor=customer, reason="Back home")
    assert [s.date() for s in local_starts(series)] == [
        date(2026, 3, 21),
        date(2026, 3, 28),
        date(2026, 4, 4),
        date(2026, 4, 11),
    ]
    events = list(series.events.values_list("from_status", "to_status", "actor", "reason"))
    assert events == [
        ("", "active", customer.pk, recurring.STARTED_REASON),
        ("active", "paused", customer.pk, "Travelling"),
        ("paused", "active", customer.pk, "Back home"),
    ]


@pytest.mark.requirement("R-ORD-3")
def test_ended_series_books_nothing_and_cannot_resume(first_order, customer, operator):
    series = start_weekly(first_order)
    recurring.end_series(series=series, actor=operator, reason="Customer moved away")
    SeriesOccurrence.objects.filter(series=series).delete()

    assert recurring.create_upcoming_occurrences().booked == 0
    with pytest.raises(recurring.SeriesError) as refused:
        recurring.resume_series(series=series, actor=customer, reason="Changed my mind")
    assert refused.value.messages == ["This recurring cleaning is ended and cannot become active."]
    series.refresh_from_db()
    assert series.status == SeriesStatus.ENDED
    assert series.events.last().actor == operator
    # Orders already booked stay booked.
    assert (
        Order.objects.filter(channel=Channel.RECURRING, status=OrderStatus.REQUESTED).count() == 2
    )


def test_change_needs_a_reason(first_order, customer):
    series = start_weekly(first_order)
    with pytest.raises(recurring.SeriesError):
        recurring.pause_series(series=series, actor=customer, reason="  ")
    series.refresh_from_db()
    assert series.status == SeriesStatus.ACTIVE
    assert series.events.count() == 1


@pytest.mark.requirement("R-ORD-3")
def test_another_customer_cannot_change_a_series(first_order, other_customer):
    series = start_weekly(first_order)
    with pytest.raises(recurring.SeriesError) as refused:
        recurring.end_series(series=series, actor=other_customer, reason="mine now")
    assert refused.value.messages == ["This is not your recurring cleaning."]
    series.refresh_from_db()
    assert series.status == SeriesStatus.ACTIVE


def test_only_an_accepted_order_of_the_customer_can_repeat(
    customer, other_customer, provider, service, area
):
    requested = OrderFactory(customer=customer, service_type=service, area=area)
    with pytest.raises(recurring.SeriesError) as refused:
        recurring.start_series(order=requested, actor=customer, interval="weekly")
    assert refused.value.messages == ["An order can be repeated once a provider has accepted it."]

    done = repeatable_order(
        customer=customer, provider=provider, service=service, area=area, starts_at=FIRST_VISIT
    )
    with pytest.raises(recurring.SeriesError):
        recurring.start_series(order=done, actor=other_customer, interval="weekly")
    start_weekly(done)
    with pytest.raises(recurring.SeriesError) as twice:
        start_weekly(done)
    assert twice.value.messages == ["This cleaning already repeats."]
    assert RecurringSeries.objects.count() == 1


# --- Contracts and the standing agreement (R-ORD-4) --------------------------------------------


def confirm(order, provider):
    return lifecycle.confirm_order(order=order, provider=provider, actor=provider.user)


@pytest.mark.requirement("R-ORD-4")
def test_standing_agreement_is_the_hash_of_the_exact_text(first_order, customer):
    series = start_weekly(first_order, agreement=True)

    agreement = SeriesAgreement.objects.get(series=series)
    text = recurring.render_agreement(order=first_order, interval="weekly", language="en")
    assert agreement.text == text
    assert agreement.text_sha256 == hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert "Sara Customer" in text
    assert "Every week, on Saturday at 09:00 (local time, Asia/Tehran), from 2026-03-21." in text
    assert (agreement.signer, agreement.typed_name) == (customer, "Sara Customer")
    assert (agreement.ip_address, agreement.user_agent) == ("203.0.113.9", "pytest")
    agreement.typed_name = "Someone Else"
    with pytest.raises(ValueError):
        agreement.save()


def test_agreement_with_another_text_or_name_is_refused_and_nothing_saved(first_order):
    stale = recurring.AgreementSignature(typed_name="Sara Customer", shown_sha256="0" * 64)
    with pytest.raises(recurring.SeriesError):
        recurring.start_series(
            order=first_order, actor=first_order.customer, interval="weekly", agreement=stale
        )
    wrong_name = agreement_for(first_order, "weekly", typed_name="Somebody")
    with pytest.raises(recurring.SeriesError):
        recurring.start_series(
            order=first_order, actor=first_order.customer, interval="weekly", agreement=wrong_name
        )
    assert not RecurringSeries.objects.exists()
    assert not Order.objects.filter(channel=Channel.RECURRING).exists()


@pytest.mark.requirement("R-ORD-4")
def test_occurrence_contract_is_signed_by_the_customer_under_the_standing_agreement(
    first_order, provider, customer, sms_outbox, django_capture_on_commit_callbacks
):
    series = start_weekly(first_order, agreement=True)
    order = occurrence_orders(series)[0]
    lifecycle.mark_offered(order=order, reason="test")

    with django_capture_on_commit_callbacks(execute=True):
        confirm(order, provider)

    assert [t for t in texts_to(sms_outbox, customer) if "contract" in t] == [
        f"The contract for order #{order.pk} is ready and signed for you under standing "
        f"agreement #{series.agreement.pk}. You can read it on the order page."
    ]

    contract = order.contract
    customer_signature = contract.signatures.get(party=ContractParty.CUSTOMER)
    assert customer_signature.standing_agreement == series.agreement
    assert customer_signature.text_sha256 == contract.text_sha256
    assert customer_signature.typed_name == "Sara Customer"
    assert not contract.signatures.filter(party=ContractParty.PROVIDER).exists()
    with pytest.raises(common.OrderError):  # work waits for the provider's own signature
        lifecycle.start_job(order=order, provider=provider)
    with pytest.raises(common.OrderError):  # the customer cannot sign twice
        sign_contract(
            contract=contract,
            party=ContractParty.CUSTOMER,
            user=order.customer,
            typed_name="Sara Customer",
            ip_address=None,
            user_agent="",
        )


@pytest.mark.requirement("R-ORD-4")
def test_without_a_standing_agreement_each_occurrence_is_signed_on_its_own(first_order, provider):
    series = start_weekly(first_order)
    order = occurrence_orders(series)[0]
    lifecycle.mark_offered(order=order, reason="test")
    confirm(order, provider)

    contract = generate_contract(order=order)
    assert not contract.signatures.exists()
    signature = sign_contract(
        contract=contract,
        party=ContractParty.CUSTOMER,
        user=order.customer,
        typed_name="Sara Customer",
        ip_address="203.0.113.7",
        user_agent="pytest",
    )
    assert signature.standing_agreement is None


def test_ordinary_orders_are_not_signed_by_an_agreement(
    first_order, customer, provider, service, area
):
    start_weekly(first_order, agreement=True)
    other = OrderFactory(customer=customer, service_type=service, area=area, status="offered")
    confirm(other, provider)
    assert not other.contract.signatures.exists()


def test_occurrence_copies_the_options_of_the_first_order(first_order, service):
    fridge = ServiceOptionFactory(service_type=service, code="fridge", name="Inside the fridge")
    price_option(fridge, Decimal("300000"))
    OrderOption.objects.create(
        order=first_order, option=fridge, name=fridge.name, price=Decimal("250000")
    )

    series = start_weekly(first_order)

    assert list(series.options.all()) == [fridge]
    orders = occurrence_orders(series)
    assert len(orders) == 2
    for order in orders:
        # Booked again at the price in force now, not the first order's.
        assert list(order.options.values_list("option__code", "price")) == [
            ("fridge", Decimal("300000"))
        ]


# --- Pages and the admin ----------------------------------------------------------------------


def test_order_page_offers_to_repeat_and_the_repeat_page_starts_a_series(
    first_order, customer_client
):
    page = customer_client.get(reverse("orders:detail", args=[first_order.pk]))
    assert 'id="repeat-panel"' in page.content.decode()
    assert reverse("orders:repeat", args=[first_order.pk]) in page.content.decode()

    url = reverse("orders:repeat", args=[first_order.pk])
    shown = customer_client.get(url, {"interval": "fortnightly"})
    assert shown.status_code == 200
    assert shown.context["form"].initial["interval"] == SeriesInterval.FORTNIGHTLY
    assert '<dd id="repeat-interval">Every two weeks</dd>' in shown.content.decode()
    text = shown.context["agreement_text"]

    response = customer_client.post(
        url,
        {
            "interval": "fortnightly",
            "typed_name": "Sara Customer",
            "agree": "on",
            "text_sha256": recurring.text_sha256(text),
        },
        HTTP_USER_AGENT="Browser/1.0",
    )

    assert response.status_code == 302
    assert response.url == reverse("orders:series_list")
    series = RecurringSeries.objects.get()
    assert series.interval == SeriesInterval.FORTNIGHTLY
    assert series.agreement.text == text
    assert (series.agreement.user_agent, series.agreement.ip_address) == (
        "Browser/1.0",
        "127.0.0.1",
    )
    listing = customer_client.get(reverse("orders:series_list")).content.decode()
    assert f'id="series-{series.pk}"' in listing
    booked = occurrence_orders(series)[0]
    assert reverse("orders:detail", args=[booked.pk]) in listing


def test_repeat_page_refuses_a_signature_without_agreeing(first_order, customer_client):
    url = reverse("orders:repeat", args=[first_order.pk])
    text = customer_client.get(url).context["agreement_text"]
    response = customer_client.post(
        url,
        {
            "interval": "weekly",
            "typed_name": "Sara Customer",
            "text_sha256": recurring.text_sha256(text),
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {"agree": ["Tick the box to show that you agree."]}
    assert not RecurringSeries.objects.exists()


@pytest.mark.requirement("R-ORD-3")
def test_customer_pauses_own_series_on_the_page(first_order, customer_client):
    series = start_weekly(first_order)
    response = customer_client.post(
        reverse("orders:series_change", args=[series.pk, "pause"]), {"reason": "Holiday"}
    )
    assert response.status_code == 302
    series.refresh_from_db()
    assert series.status == SeriesStatus.PAUSED
    assert series.events.last().reason == "Holiday"


def test_other_customers_cannot_see_or_change_a_series(first_order, client, other_customer):
    series = start_weekly(first_order)
    client.force_login(other_customer)

    listing = client.get(reverse("orders:series_list"))
    assert f'id="series-{series.pk}"' not in listing.content.decode()
    assert client.get(reverse("orders:repeat", args=[first_order.pk])).status_code == 404
    for action in ("pause", "end"):
        response = client.post(
            reverse("orders:series_change", args=[series.pk, action]), {"reason": "mine"}
        )
        assert response.status_code == 404
    series.refresh_from_db()
    assert series.status == SeriesStatus.ACTIVE
    assert series.events.count() == 1


def test_providers_cannot_open_the_customer_pages(first_order, client, provider):
    client.force_login(provider.user)
    assert client.get(reverse("orders:series_list")).status_code == 403


def test_operator_ends_a_series_in_the_admin_with_a_reason(first_order, client, operator):
    series = start_weekly(first_order)
    client.force_login(operator)
    url = reverse("admin:orders_recurringseries_changelist")
    assert (
        client.get(reverse("admin:orders_recurringseries_change", args=[series.pk])).status_code
        == 200
    )

    asked = client.post(url, {"action": "end_series", "_selected_action": [series.pk]})
    assert asked.status_code == 200
    series.refresh_from_db()
    assert series.status == SeriesStatus.ACTIVE

    client.post(
        url,
        {
            "action": "end_series",
            "_selected_action": [series.pk],
            "apply": "1",
            "reason": "Asked by phone",
        },
    )
    series.refresh_from_db()
    assert series.status == SeriesStatus.ENDED
    assert (series.events.last().actor, series.events.last().reason) == (operator, "Asked by phone")


# --- Mobile API -------------------------------------------------------------------------------


def api_as(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.requirement("R-ORD-1", "R-ORD-4")
def test_api_reads_the_agreement_and_starts_a_signed_series(first_order, customer):
    api = api_as(customer)
    shown = api.get(
        reverse("api:order_repeat_agreement", args=[first_order.pk]), {"interval": "weekly"}
    )
    assert shown.status_code == 200
    body = shown.json()
    assert body["first_on"] == "2026-03-21"
    assert body["text_sha256"] == hashlib.sha256(body["text"].encode("utf-8")).hexdigest()

    created = api.post(
        reverse("api:series"),
        {
            "order": first_order.pk,
            "interval": "weekly",
            "agreement": {"typed_name": "Sara Customer", "text_sha256": body["text_sha256"]},
        },
        format="json",
    )

    assert created.status_code == 201
    series = RecurringSeries.objects.get()
    assert series.agreement.text == body["text"]
    data = created.json()
    assert (data["id"], data["status"], data["has_agreement"]) == (series.pk, "active", True)
    assert [c["occurs_on"] for c in data["coming"]] == ["2026-03-21", "2026-03-28"]
    listed = api.get(reverse("api:series")).json()
    assert [s["id"] for s in listed] == [series.pk]


def test_api_refusals_use_the_error_shape_and_save_nothing(
    first_order, customer, other_customer, service, area
):
    requested = OrderFactory(customer=customer, service_type=service, area=area)
    refused = api_as(customer).post(
        reverse("api:series"), {"order": requested.pk, "interval": "weekly"}, format="json"
    )
    assert refused.status_code == 400
    assert refused.json() == {
        "errors": {
            "non_field_errors": ["An order can be repeated once a provider has accepted it."]
        }
    }
    stranger = api_as(other_customer).post(
        reverse("api:series"), {"order": first_order.pk, "interval": "weekly"}, format="json"
    )
    assert stranger.status_code == 404
    assert not RecurringSeries.objects.exists()


@pytest.mark.requirement("R-ORD-3")
def test_api_pauses_own_series_only(first_order, customer, other_customer):
    series = start_weekly(first_order)
    url = reverse("api:series_pause", args=[series.pk])

    assert api_as(other_customer).post(url, {"reason": "x"}, format="json").status_code == 404
    paused = api_as(customer).post(url, {"reason": "Away"}, format="json")

    assert paused.status_code == 200
    assert paused.json()["status"] == "paused"
    assert api_as(other_customer).get(reverse("api:series")).json() == []


@pytest.mark.requirement("R-ORD-4")
def test_contract_page_shows_the_signature_under_the_standing_agreement(
    first_order, provider, customer_client
):
    series = start_weekly(first_order, agreement=True)
    order = occurrence_orders(series)[0]
    lifecycle.mark_offered(order=order, reason="test")
    confirm(order, provider)

    page = customer_client.get(reverse("orders:contract", args=[order.pk]))

    html = page.content.decode()
    assert f"Under standing agreement #{series.agreement.pk}" in html
    assert 'id="sign-form"' not in html
