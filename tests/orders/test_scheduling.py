"""Schedules (R-ORD-5): who is free when, the slots the booking form offers, and the limits
confirm_order enforces under its lock."""

import random
from datetime import date, datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from matching.selectors import candidates_for
from orders.models import Order, OrderEvent, OrderStatus
from orders.pricing import quote_for
from orders.scheduling import (
    START_TIMES,
    available_start_times,
    day_schedules,
    eligible_providers,
    gap_between_jobs,
    is_free,
    schedule_problem,
)
from orders.services import common, lifecycle
from providers.models import TimeOff, WorkingHours
from providers.services import suspend_provider
from tests.factories import (
    AreaFactory,
    OrderFactory,
    ProviderFactory,
    ServiceTypeFactory,
    SkillFactory,
)

pytestmark = pytest.mark.django_db

MONDAY = date(2026, 11, 23)
WEDNESDAY = MONDAY + timedelta(days=2)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


@pytest.fixture(autouse=True)
def _monday_morning(time_machine, settings):
    """Monday 06:00 local; the default limits, stated so the tests read on their own."""
    settings.TRAVEL_BUFFER_MINUTES = 30
    settings.MIN_REST_MINUTES = 30
    settings.MAX_WORK_HOURS_PER_DAY = 8
    settings.MAX_WORK_HOURS_PER_WEEK = 44
    settings.BOOKING_MIN_LEAD_MINUTES = 60
    settings.BOOKING_MAX_DAYS_AHEAD = 60
    time_machine.move_to(at(MONDAY, 6), tick=False)


def job(provider, starts_at, ends_at, status=OrderStatus.CONFIRMED, **fields):
    """A job of the provider; a confirmed one holds its time until its end plus 30 minutes."""
    return OrderFactory(
        provider=provider, status=status, starts_at=starts_at, ends_at=ends_at, **fields
    )


def eligible(service, area, starts_at=None, ends_at=None):
    """Who may take a 10:00-12:00 job on Wednesday (or the given window)."""
    return list(
        eligible_providers(
            service_type=service,
            area=area,
            starts_at=starts_at or at(WEDNESDAY, 10),
            ends_at=ends_at or at(WEDNESDAY, 12),
        ).order_by("pk")
    )


# eligible_providers: each reason to be left out ------------------------------------------------


def _time_off(provider):
    TimeOff.objects.create(
        provider=provider, starts_on=WEDNESDAY - timedelta(days=1), ends_on=WEDNESDAY
    )


def _weekly_load(provider, hours):
    """`hours` of work spread over the rest of Wednesday's week, away from Wednesday."""
    days = [MONDAY, MONDAY + timedelta(days=1), *(MONDAY + timedelta(days=d) for d in (3, 4, 5))]
    for day in days:
        chunk = min(hours, 10)
        if chunk:
            job(provider, at(day, 8), at(day, 8) + timedelta(hours=chunk))
        hours -= chunk


UNAVAILABLE = {
    "missing skill": lambda p: p.skills.set([SkillFactory(code="wood", name="Wood")]),
    "other area": lambda p: p.areas.set([AreaFactory(code="south", name="South")]),
    "not working that weekday": lambda p: p.working_hours.filter(weekday=2).delete(),
    "hours do not cover the job": lambda p: p.working_hours.filter(weekday=2).update(
        starts=time(11)
    ),
    "on time off": _time_off,
    "overlapping job": lambda p: job(p, at(WEDNESDAY, 11), at(WEDNESDAY, 13)),
    "earlier job ends inside the buffer": lambda p: job(p, at(WEDNESDAY, 8), at(WEDNESDAY, 9, 45)),
    "later job starts inside the buffer": lambda p: job(
        p, at(WEDNESDAY, 12, 15), at(WEDNESDAY, 14)
    ),
    "a running job then": lambda p: job(
        p, at(WEDNESDAY, 9), at(WEDNESDAY, 10, 30), status=OrderStatus.IN_PROGRESS
    ),
    "over the daily hours": lambda p: job(p, at(WEDNESDAY, 12, 30), at(WEDNESDAY, 19, 30)),
    "over the weekly hours": lambda p: _weekly_load(p, 43),
    "suspended": lambda p: suspend_provider(provider=p, actor=None, reason="test"),
}


@pytest.mark.requirement("R-ORD-5", "R-MAT-1")
def test_a_provider_with_skill_area_hours_and_free_time_is_eligible(service, area):
    provider = ProviderFactory()
    assert eligible(service, area) == [provider]


@pytest.mark.requirement("R-ORD-5", "R-MAT-1", "R-MAT-5")
@pytest.mark.parametrize("reason", list(UNAVAILABLE))
def test_each_rule_leaves_the_provider_out(service, area, reason):
    provider = ProviderFactory()
    UNAVAILABLE[reason](provider)
    assert eligible(service, area) == []


@pytest.mark.requirement("R-ORD-5")
@pytest.mark.parametrize(
    "status", [OrderStatus.OFFERED, OrderStatus.REQUESTED, OrderStatus.CANCELLED]
)
def test_jobs_that_do_not_hold_time_do_not_block(service, area, status):
    provider = ProviderFactory()
    job(provider, at(WEDNESDAY, 10), at(WEDNESDAY, 12), status=status)
    assert eligible(service, area) == [provider]


@pytest.mark.requirement("R-ORD-5")
def test_jobs_exactly_at_the_buffer_edge_are_allowed(service, area):
    provider = ProviderFactory()
    job(provider, at(WEDNESDAY, 8), at(WEDNESDAY, 9, 30))  # ends 30 min before 10:00
    job(provider, at(WEDNESDAY, 12, 30), at(WEDNESDAY, 14))  # starts 30 min after 12:00
    assert eligible(service, area) == [provider]
    # One minute less on either side is too close.
    assert eligible(service, area, at(WEDNESDAY, 9, 59), at(WEDNESDAY, 11, 59)) == []
    assert eligible(service, area, at(WEDNESDAY, 10, 1), at(WEDNESDAY, 12, 1)) == []


@pytest.mark.requirement("R-ORD-5")
def test_the_longer_of_rest_and_travel_separates_jobs(service, area, settings):
    settings.MIN_REST_MINUTES = 45
    provider = ProviderFactory()
    job(provider, at(WEDNESDAY, 8), at(WEDNESDAY, 9, 30))
    assert eligible(service, area) == []  # only 30 minutes of rest
    assert eligible(service, area, at(WEDNESDAY, 10, 15), at(WEDNESDAY, 12, 15)) == [provider]


@pytest.mark.requirement("R-ORD-5")
def test_a_longer_travel_buffer_held_at_confirmation_still_counts(service, area):
    provider = ProviderFactory()
    # Confirmed when the buffer was an hour: the time is held until 10:15.
    job(provider, at(WEDNESDAY, 7), at(WEDNESDAY, 9, 15), blocked_until=at(WEDNESDAY, 10, 15))
    assert eligible(service, area) == []
    assert eligible(service, area, at(WEDNESDAY, 10, 15), at(WEDNESDAY, 12, 15)) == [provider]


@pytest.mark.requirement("R-ORD-5")
def test_the_daily_limit_is_reached_exactly_not_passed(service, area):
    provider = ProviderFactory()
    job(provider, at(WEDNESDAY, 12, 30), at(WEDNESDAY, 18, 30))  # 6 h + 2 h = 8 h
    assert eligible(service, area) == [provider]
    # A completed job counts too, even one outside the working hours.
    job(provider, at(WEDNESDAY, 6), at(WEDNESDAY, 6, 30), status=OrderStatus.COMPLETED)
    assert eligible(service, area) == []


@pytest.mark.requirement("R-ORD-5", "R-ORD-6")
def test_a_day_of_care_longer_than_the_daily_limit_fits_only_an_empty_day(service, area):
    """A 10-hour day of elderly care is over the 8-hour daily limit on its own: it may be
    booked, but only when the provider has no other work that day."""
    provider = ProviderFactory()
    day_of_care = {"starts_at": at(WEDNESDAY, 8), "ends_at": at(WEDNESDAY, 18)}
    assert eligible(service, area, **day_of_care) == [provider]
    assert schedule_problem(provider=provider, **day_of_care) is None
    job(provider, at(WEDNESDAY, 18, 30), at(WEDNESDAY, 19, 30), status=OrderStatus.COMPLETED)
    assert eligible(service, area, **day_of_care) == []
    problem = schedule_problem(provider=provider, **day_of_care)
    assert (problem.code, problem.message) == (
        "day_hours",
        "This job would take the provider over 10 working hours that day.",
    )


@pytest.mark.requirement("R-ORD-5")
def test_the_weekly_limit_counts_the_monday_based_local_week(service, area):
    provider = ProviderFactory()
    _weekly_load(provider, 42)  # 42 h + 2 h = 44 h: allowed
    job(provider, at(MONDAY - timedelta(days=1), 8), at(MONDAY - timedelta(days=1), 18))
    job(provider, at(MONDAY + timedelta(days=7), 8), at(MONDAY + timedelta(days=7), 18))
    assert eligible(service, area) == [provider]  # last Sunday and next Monday do not count
    job(provider, at(MONDAY + timedelta(days=6), 20), at(MONDAY + timedelta(days=6), 21))
    assert eligible(service, area) == []  # Sunday 20:00 does


@pytest.mark.requirement("R-MAT-1", "R-MAT-5")
def test_matching_uses_the_schedule_rules_and_ranks_by_weekly_hours(service, area):
    busy, tired, light, idle = (ProviderFactory() for _ in range(4))
    job(busy, at(WEDNESDAY, 11), at(WEDNESDAY, 13))
    job(tired, at(MONDAY, 8), at(MONDAY, 14))
    job(light, at(MONDAY, 8), at(MONDAY, 10))
    _time_off(ProviderFactory())
    order = OrderFactory(
        service_type=service, area=area, starts_at=at(WEDNESDAY, 10), ends_at=at(WEDNESDAY, 12)
    )
    assert list(candidates_for(order)) == [idle, light, tired]


# available_start_times -------------------------------------------------------------------------

ALL_DAY = [time(h, m) for h in range(8, 19) for m in (0, 30)][:-1]  # 08:00..18:00, 2 h jobs


def start_times(service, area, day=WEDNESDAY, home_area_sqm=80):
    return available_start_times(
        service_type=service, area=area, day=day, home_area_sqm=home_area_sqm
    )


@pytest.mark.requirement("R-ORD-5")
def test_start_times_follow_working_hours_and_job_length(service, area):
    ProviderFactory()
    assert start_times(service, area) == ALL_DAY
    # A 4-hour job must end by 20:00.
    assert start_times(service, area, home_area_sqm=500)[-1] == time(16)


@pytest.mark.requirement("R-ORD-5")
def test_a_booked_provider_makes_times_disappear_and_another_brings_them_back(service, area):
    provider = ProviderFactory()
    job(provider, at(WEDNESDAY, 12), at(WEDNESDAY, 14))  # held until 14:30
    gone = [time(h, m) for h in range(10, 15) for m in (0, 30)][:-1]  # 10:00..14:00
    assert start_times(service, area) == [t for t in ALL_DAY if t not in gone]
    ProviderFactory()
    assert start_times(service, area) == ALL_DAY


@pytest.mark.requirement("R-ORD-5")
def test_an_over_limit_provider_offers_no_times(service, area):
    provider = ProviderFactory()
    job(provider, at(WEDNESDAY, 5), at(WEDNESDAY, 7))
    job(provider, at(WEDNESDAY, 20, 30), at(WEDNESDAY, 23, 30))  # 5 h that day, off hours
    assert start_times(service, area, home_area_sqm=500) == []  # 5 h + 4 h > 8 h
    assert start_times(service, area) == ALL_DAY  # 5 h + 2 h
    _weekly_load(provider, 38)  # 43 h that week: no 2-hour job fits under 44 h
    assert start_times(service, area) == []


@pytest.mark.requirement("R-ORD-5")
def test_a_day_with_nobody_free_is_empty(service, area):
    ProviderFactory(areas=[AreaFactory(code="south", name="South")])
    off = ProviderFactory()
    _time_off(off)
    assert start_times(service, area) == []
    assert start_times(service, area, day=WEDNESDAY + timedelta(days=1)) == ALL_DAY


@pytest.mark.requirement("R-ORD-5")
def test_start_times_respect_the_lead_time_and_the_booking_horizon(service, area, time_machine):
    ProviderFactory()
    time_machine.move_to(at(MONDAY, 9, 10), tick=False)
    assert start_times(service, area, day=MONDAY)[0] == time(10, 30)  # 60 minutes ahead
    assert start_times(service, area, day=MONDAY - timedelta(days=1)) == []
    assert start_times(service, area, day=MONDAY + timedelta(days=59)) == ALL_DAY
    assert start_times(service, area, day=MONDAY + timedelta(days=61)) == []


@pytest.mark.requirement("R-ORD-5")
def test_a_job_that_would_end_after_midnight_is_never_offered(area):
    long_job = ServiceTypeFactory(
        code="long", name="Long", minimum_minutes=480, maximum_minutes=480
    )
    ProviderFactory(hours=[(2, time(0), time(23, 59))])
    times = start_times(long_job, area)
    assert times[-1] == time(15, 30)  # ends 23:30; 16:00 would end at midnight


@pytest.mark.requirement("R-ORD-5")
@pytest.mark.parametrize("providers", [5, 30])
def test_start_times_take_three_queries_however_many_providers(
    service, area, providers, django_assert_num_queries
):
    for i in range(providers):
        provider = ProviderFactory()
        job(provider, at(WEDNESDAY, 8 + i % 10), at(WEDNESDAY, 9 + i % 10))
    # The booking form prices the job (options included) once and passes its length.
    duration = quote_for(service_type=service, home_area_sqm=80).duration
    with django_assert_num_queries(3):
        times = available_start_times(
            service_type=service, area=area, day=WEDNESDAY, duration=duration
        )
    assert times == ALL_DAY


STATUSES = [
    OrderStatus.CONFIRMED,
    OrderStatus.CONFIRMED,
    OrderStatus.IN_PROGRESS,
    OrderStatus.COMPLETED,
    OrderStatus.REQUESTED,
    OrderStatus.CANCELLED,
]


def _random_schedule(rng, provider):
    """Random working hours, time off and jobs (held times never overlap, as the database
    requires) from the Sunday before MONDAY to the Monday after."""
    provider.working_hours.all().delete()
    windows = []
    for weekday in range(7):
        if rng.random() < 0.15:
            continue  # a day off
        start = rng.choice([0, 6, 7, 8, 9, 10, 12])
        end = rng.choice([h for h in (11, 13, 15, 17, 19, 20, 22, 23) if h > start])
        windows.append((weekday, time(start), time(end, rng.choice([0, 30]))))
        if end < 20 and rng.random() < 0.3:  # a second window later that day
            windows.append((weekday, time(end + 1), time(22)))
    provider.working_hours.bulk_create(
        [WorkingHours(provider=provider, weekday=d, starts=s, ends=e) for d, s, e in windows]
    )
    if rng.random() < 0.15:
        first = MONDAY + timedelta(days=rng.randrange(0, 6))
        TimeOff.objects.create(
            provider=provider, starts_on=first, ends_on=first + timedelta(days=rng.randrange(2))
        )
    cursor = at(MONDAY - timedelta(days=1), 6)
    end_of_range = at(MONDAY + timedelta(days=8), 0)
    while cursor < end_of_range:
        starts_at = cursor + timedelta(minutes=15 * rng.randrange(0, 60))
        ends_at = starts_at + timedelta(minutes=30 * rng.randrange(1, 10))
        status = rng.choice(STATUSES)
        held = ends_at
        if status in (OrderStatus.CONFIRMED, OrderStatus.IN_PROGRESS):
            held = ends_at + timedelta(minutes=rng.choice([0, 30, 45, 60, 90]))
            job(provider, starts_at, ends_at, status=status, blocked_until=held)
        else:
            job(provider, starts_at, ends_at, status=status)
        cursor = held


@pytest.mark.requirement("R-ORD-5")
def test_start_times_match_eligible_providers_on_random_schedules(service, area, settings):
    """The Python path of available_start_times gives exactly what asking eligible_providers
    about every start time gives. Lower limits and a longer rest so that the edges are met."""
    settings.MIN_REST_MINUTES = 45
    settings.MAX_WORK_HOURS_PER_DAY = 6
    settings.MAX_WORK_HOURS_PER_WEEK = 40
    rng = random.Random(20261123)
    elsewhere = AreaFactory(code="south", name="South")
    wood = SkillFactory(code="wood", name="Wood")
    for _ in range(40):
        provider = ProviderFactory(
            areas=[area] if rng.random() < 0.85 else [elsewhere],
            skills=[SkillFactory()] if rng.random() < 0.9 else [wood],
        )
        _random_schedule(rng, provider)
        if rng.random() < 0.1:
            suspend_provider(provider=provider, actor=None, reason="test")
    days = [MONDAY, WEDNESDAY, MONDAY + timedelta(days=3), MONDAY + timedelta(days=6)]
    compared = offered = 0
    gap = gap_between_jobs()
    for day in days:
        schedules = day_schedules(service_type=service, area=area, day=day)
        for home_area_sqm in (40, 80, 200):
            duration = quote_for(service_type=service, home_area_sqm=home_area_sqm).duration
            expected = []
            for start in START_TIMES:
                starts_at = at(day, start.hour, start.minute)
                ends_at = starts_at + duration
                if starts_at < at(MONDAY, 7) or timezone.localtime(ends_at).date() != day:
                    continue  # lead time, same-day end
                compared += 1
                if eligible_providers(
                    service_type=service, area=area, starts_at=starts_at, ends_at=ends_at
                ).exists():
                    expected.append(start)
                # Provider by provider too, so that one free provider cannot hide a mistake.
                eligible_ids = set(
                    eligible_providers(
                        service_type=service, area=area, starts_at=starts_at, ends_at=ends_at
                    ).values_list("pk", flat=True)
                )
                free_ids = {
                    pk
                    for pk, schedule in schedules.items()
                    if is_free(schedule, starts_at=starts_at, ends_at=ends_at, gap=gap)
                }
                assert free_ids == eligible_ids, (starts_at, ends_at)
            offered += len(expected)
            assert start_times(service, area, day, home_area_sqm) == expected, (
                day,
                home_area_sqm,
            )
    assert compared > 200 and 0 < offered < compared  # the data exercise both answers


# The booking form and its htmx fragment --------------------------------------------------------


def booking_data(service, area, **overrides):
    data = {
        "service_type": service.pk,
        "area": area.pk,
        "address": "12 Valiasr Street",
        "day": WEDNESDAY.isoformat(),
        "start": "10:00",
        "home_area_sqm": "80",
        "notes": "",
    }
    return {**data, **overrides}


@pytest.mark.requirement("R-ORD-5")
def test_the_booking_form_refuses_a_time_when_nobody_is_free(customer_client, service, area):
    provider = ProviderFactory()
    job(provider, at(WEDNESDAY, 11), at(WEDNESDAY, 13))
    response = customer_client.post(
        reverse("orders:book"), booking_data(service, area, confirm="1")
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "start": ["No provider is free then. Please choose another time or another day."]
    }
    assert Order.objects.filter(status=OrderStatus.REQUESTED).count() == 0
    # A free time is accepted and priced.
    response = customer_client.post(
        reverse("orders:book"), booking_data(service, area, start="14:00")
    )
    assert response.context["quote"].minutes == 120


@pytest.mark.requirement("R-ORD-5")
def test_the_fragment_offers_only_free_times(customer_client, service, area):
    provider = ProviderFactory()
    job(provider, at(WEDNESDAY, 8), at(WEDNESDAY, 16))  # held until 16:30; 8 h that day
    ProviderFactory(hours=[(2, time(16), time(20))])
    data = booking_data(service, area, start="16:30")
    data.pop("address")
    response = customer_client.get(reverse("orders:book_times"), data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert [value for value, _label in response.context["field"].field.choices] == [
        "16:00",
        "16:30",
        "17:00",
        "17:30",
        "18:00",
    ]
    html = response.content.decode()
    assert '<option value="16:30" selected>16:30</option>' in html
    assert "07:00" not in html


@pytest.mark.requirement("R-ORD-5")
def test_the_fragment_says_when_nobody_is_free_that_day(customer_client, service, area):
    response = customer_client.get(reverse("orders:book_times"), booking_data(service, area))
    html = response.content.decode()
    assert "No provider is free that day for this job. Please try another day." in html
    assert "<select" not in html


def test_the_fragment_offers_the_whole_list_until_the_inputs_are_valid(
    customer_client, service, area
):
    data = booking_data(service, area, home_area_sqm="")
    response = customer_client.get(reverse("orders:book_times"), data)
    assert len(response.context["field"].field.choices) == 28  # 07:00..20:30
    assert "No provider is free" not in response.content.decode()


def test_the_booking_page_loads_times_with_htmx_and_keeps_the_full_list_without_it(
    customer_client,
):
    html = customer_client.get(reverse("orders:book")).content.decode()
    assert f'hx-get="{reverse("orders:book_times")}"' in html
    assert 'id="start-times"' in html
    assert '<option value="20:30">20:30</option>' in html


def test_the_fragment_is_for_customers_only(client, provider):
    client.force_login(provider.user)
    assert client.get(reverse("orders:book_times")).status_code == 403


# confirm_order enforces the limits under its lock ----------------------------------------------


def offered(service, area, starts_at, ends_at):
    return OrderFactory(
        service_type=service,
        area=area,
        status=OrderStatus.OFFERED,
        starts_at=starts_at,
        ends_at=ends_at,
    )


@pytest.mark.requirement("R-ORD-5")
@pytest.mark.parametrize(
    ("setup", "error", "message"),
    [
        (
            lambda p: job(p, at(WEDNESDAY, 12, 30), at(WEDNESDAY, 19, 30)),
            common.ScheduleLimitError,
            "This job would take the provider over 8 working hours that day.",
        ),
        (
            lambda p: _weekly_load(p, 43),
            common.ScheduleLimitError,
            "This job would take the provider over 44 working hours that week.",
        ),
        (
            _time_off,
            common.ScheduleLimitError,
            "This provider is on time off that day.",
        ),
        (
            lambda p: job(p, at(WEDNESDAY, 8), at(WEDNESDAY, 9, 45)),
            common.DoubleBookingError,
            "This provider is already booked at that time.",
        ),
    ],
    ids=["day", "week", "time off", "rest"],
)
def test_confirm_refuses_a_provider_over_the_limits_and_changes_nothing(
    service, area, setup, error, message
):
    provider = ProviderFactory()
    setup(provider)
    order = offered(service, area, at(WEDNESDAY, 10), at(WEDNESDAY, 12))
    events_before = OrderEvent.objects.count()
    with pytest.raises(error) as refused:
        lifecycle.confirm_order(order=order, provider=provider, actor=provider.user)
    assert refused.value.messages == [message]
    order.refresh_from_db()
    assert (order.status, order.provider, order.blocked_until) == (OrderStatus.OFFERED, None, None)
    assert OrderEvent.objects.count() == events_before


@pytest.mark.requirement("R-ORD-5")
def test_confirm_accepts_a_job_exactly_at_the_limits(service, area):
    provider = ProviderFactory()
    job(provider, at(WEDNESDAY, 12, 30), at(WEDNESDAY, 18, 30))  # 6 h, 30 min after the job
    order = offered(service, area, at(WEDNESDAY, 10), at(WEDNESDAY, 12))
    lifecycle.confirm_order(order=order, provider=provider, actor=provider.user)
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    assert order.blocked_until == at(WEDNESDAY, 12, 30)
