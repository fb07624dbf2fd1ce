"""Quotes from the versioned price book (R-ORD-2), prices worked out by hand.

The test rule (catalogue_factories.DEFAULT_RULE): 500,000 + 40,000 per m², at least 2,000,000,
1.5 minutes per m², jobs of 2 to 4 hours; condition light 0.9 / normal 1.0 / heavy 1.3; tiers
standard 1.0 / experienced 1.15 / expert 1.3.
"""

from datetime import time, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from orders.models import PricingUnit
from orders.pricing import price_for_tier, prices_by_tier, quote_for
from orders.scheduling import available_start_times
from providers.models import ProviderTier, Skill
from tests.factories import ProviderFactory, ServiceTypeFactory

from .catalogue_factories import ServiceOptionFactory, price_option, publish_version

pytestmark = [pytest.mark.django_db, pytest.mark.requirement("R-ORD-2")]

D = Decimal


def lines(quote):
    return [(line.kind, line.amount) for line in quote.lines]


@pytest.fixture
def fridge(service):
    option = ServiceOptionFactory(
        service_type=service, code="fridge", name="Inside the fridge", extra_minutes=30
    )
    price_option(option, "300000")
    return option


@pytest.fixture
def windows(service):
    option = ServiceOptionFactory(
        service_type=service, code="windows", name="Windows", extra_minutes=45
    )
    price_option(option, "400000")
    return option


@pytest.fixture
def elderly_care(db):
    """A day of care: 450,000 an hour, at least 3,600,000, 8 to 12 hours, experienced carers."""
    care = ServiceTypeFactory(
        code="elderly-care-day",
        name="A day of elderly care",
        minimum_minutes=480,
        maximum_minutes=720,
        minimum_tier=ProviderTier.EXPERIENCED,
        asks_about_person_cared_for=True,
        required_skills=[Skill.objects.get_or_create(code="elderly-care", name="Care")[0]],
    )
    publish_version(
        rules={
            care: {
                "unit": PricingUnit.PER_HOUR,
                "base_price": D("0"),
                "rate": D("450000"),
                "minimum_price": D("3600000"),
                "minutes_per_sqm": D("0"),
            }
        }
    )
    return care


def test_per_square_metre_price_and_duration(service):
    quote = quote_for(service_type=service, home_area_sqm=80)
    # 500,000 + 40,000 x 80 = 3,700,000; 1.5 x 80 = 120 minutes.
    assert lines(quote) == [("base", D("3700000"))]
    assert quote.price == D("3700000")
    assert quote.minutes == 120
    assert quote.lines[0].label == "Service, 80 m²"


def test_the_minimum_price_applies_to_a_small_home(service):
    quote = quote_for(service_type=service, home_area_sqm=10)
    # 500,000 + 400,000 = 900,000 is below the minimum of 2,000,000; 15 minutes -> 2 hours.
    assert lines(quote) == [("minimum", D("2000000"))]
    assert quote.price == D("2000000")
    assert quote.minutes == 120


@pytest.mark.parametrize(
    ("difficulty", "extra", "total"),
    [
        ("light", D("-370000"), D("3330000")),  # 3,700,000 x (0.9 - 1)
        ("heavy", D("1110000"), D("4810000")),  # 3,700,000 x (1.3 - 1)
    ],
)
def test_the_homes_condition_multiplies_the_base(service, difficulty, extra, total):
    quote = quote_for(service_type=service, home_area_sqm=80, difficulty=difficulty)
    assert lines(quote) == [("base", D("3700000")), ("difficulty", extra)]
    assert quote.price == total


def test_a_normal_home_has_no_condition_line(service):
    assert lines(quote_for(service_type=service, home_area_sqm=80, difficulty="normal")) == [
        ("base", D("3700000"))
    ]


def test_the_tier_multiplies_base_and_condition(service):
    quote = quote_for(service_type=service, home_area_sqm=80, difficulty="heavy", tier="expert")
    # (3,700,000 + 1,110,000) x (1.3 - 1) = 1,443,000
    assert lines(quote) == [
        ("base", D("3700000")),
        ("difficulty", D("1110000")),
        ("tier", D("1443000")),
    ]
    assert quote.price == D("6253000")


def test_options_add_their_price_and_minutes(service, fridge, windows):
    quote = quote_for(service_type=service, home_area_sqm=80, options=[fridge, windows])
    assert lines(quote) == [
        ("base", D("3700000")),
        ("option", D("300000")),
        ("option", D("400000")),
    ]
    assert [line.label for line in quote.lines[1:]] == ["Inside the fridge", "Windows"]
    assert quote.price == D("4400000")
    # 120 + 30 + 45 = 195 minutes, in half-hour slots: 210.
    assert quote.minutes == 210


def test_options_are_not_multiplied_by_condition_or_tier(service, fridge):
    quote = quote_for(
        service_type=service, home_area_sqm=80, options=[fridge], difficulty="heavy", tier="expert"
    )
    assert quote.price == D("6253000") + D("300000")


def test_options_lengthen_the_job_in_the_slot_search(service, area, fridge, windows):
    ProviderFactory()  # works 08:00-20:00
    day = (quote_for(service_type=service, home_area_sqm=80).price_book.valid_from).date()
    day = max(day, day.today()) + timedelta(days=2)
    plain = quote_for(service_type=service, home_area_sqm=80)
    longer = quote_for(service_type=service, home_area_sqm=80, options=[fridge, windows])
    plain_times = available_start_times(
        service_type=service, area=area, day=day, duration=plain.duration
    )
    longer_times = available_start_times(
        service_type=service, area=area, day=day, duration=longer.duration
    )
    assert plain_times[-1] == time(18)  # 2 hours, ending by 20:00
    assert longer_times[-1] == time(16, 30)  # 3.5 hours


def test_per_hour_price_uses_the_services_minimum_tier(elderly_care):
    quote = quote_for(service_type=elderly_care, hours=8)
    # 8 x 450,000 = 3,600,000 at the experienced tier: + 15 % = 540,000.
    assert lines(quote) == [("base", D("3600000")), ("tier", D("540000"))]
    assert quote.price == D("4140000")
    assert quote.minutes == 480
    assert quote.tier == ProviderTier.EXPERIENCED
    assert quote.lines[0].label == "Service, 8 h"
    twelve = quote_for(service_type=elderly_care, hours=12)
    assert twelve.price == D("5400000") + D("810000")
    assert twelve.minutes == 720


@pytest.mark.parametrize("hours", [7, 13, None])
def test_per_hour_services_take_hours_within_the_bounds(elderly_care, hours):
    with pytest.raises(ValidationError) as error:
        quote_for(service_type=elderly_care, hours=hours, home_area_sqm=80)
    assert "hours" in error.value.message_dict


def test_per_square_metre_services_need_the_area(service):
    with pytest.raises(ValidationError) as error:
        quote_for(service_type=service, hours=3)
    assert error.value.message_dict == {"home_area_sqm": ["Enter the home area in square metres."]}


def test_an_option_of_another_service_or_a_retired_one_is_refused(service, fridge, elderly_care):
    other = ServiceOptionFactory(service_type=elderly_care, code="night", name="Night")
    with pytest.raises(ValidationError) as error:
        quote_for(service_type=service, home_area_sqm=80, options=[other])
    assert error.value.message_dict == {"options": ["“Night” cannot be added to this service."]}
    fridge.is_active = False
    fridge.save()
    with pytest.raises(ValidationError) as error:
        quote_for(service_type=service, home_area_sqm=80, options=[fridge])
    assert error.value.message_dict == {
        "options": ["“Inside the fridge” cannot be added to this service."]
    }


def test_an_unpriced_option_is_refused(service):
    unpriced = ServiceOptionFactory(service_type=service, code="balcony", name="Balcony")
    with pytest.raises(ValidationError) as error:
        quote_for(service_type=service, home_area_sqm=80, options=[unpriced])
    assert error.value.message_dict == {"options": ["“Balcony” has no price at the moment."]}


def test_a_service_without_a_rule_in_the_current_version_cannot_be_quoted(db):
    from orders.models import ServiceType

    bare = ServiceType.objects.create(code="bare", name="Bare")
    with pytest.raises(ValidationError) as error:
        quote_for(service_type=bare, home_area_sqm=80)
    assert "service_type" in error.value.message_dict


def test_price_for_tier_reprices_a_booked_order_at_its_own_version(service, fridge):
    from tests.orders.test_catalogue import book

    order = book(service, options=[fridge])
    assert order.price == D("4000000")
    # Expert: 3,700,000 x 1.3 = 4,810,000, plus the fridge at its booked price.
    assert price_for_tier(order, ProviderTier.EXPERT) == D("5110000")
    assert price_for_tier(order, ProviderTier.STANDARD) == order.price
    # Experienced: 3,700,000 x 1.15 = 4,255,000, plus 300,000.
    assert prices_by_tier(order) == {
        "standard": D("4000000"),
        "experienced": D("4555000"),
        "expert": D("5110000"),
    }
    # A later version with other prices changes nothing for this order.
    publish_version(rules={service: {"rate": D("99000"), "base_price": D("1")}})
    assert price_for_tier(order, ProviderTier.EXPERT) == D("5110000")
