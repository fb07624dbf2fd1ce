"""The catalogue kept per process (orders/catalogue_cache.py, core/kept.py): read once, then
kept until a change to services, options, areas or the price book, or a version published for
later taking effect (R-ORD-2)."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from core import kept
from orders import catalogue_cache
from orders.models import PriceBook, PriceBookStatus, PriceRule, ServiceType
from providers.models import ServiceArea
from tests.factories import AreaFactory, ProviderFactory

from .catalogue_factories import ServiceOptionFactory, price_admin, publish_version

# Outside a test transaction: saves commit, so versions are bumped as in production.
pytestmark = pytest.mark.django_db(transaction=True)

TEHRAN = ZoneInfo("Asia/Tehran")
NOW = datetime(2026, 3, 2, 8, 0, tzinfo=TEHRAN)


@pytest.fixture
def now(time_machine):
    time_machine.move_to(NOW, tick=False)
    return NOW


def read():
    with CaptureQueriesContext(connection) as captured:
        catalogue = catalogue_cache.current()
    return catalogue, len(captured)


def base_price(catalogue, service) -> Decimal:
    return catalogue.rule(service).base_price


@pytest.mark.requirement("R-ORD-2")
def test_the_catalogue_is_read_once_then_kept(service, area):
    catalogue, cold = read()
    assert catalogue.services == {service.code: service}
    assert catalogue.areas == {area.code: area}
    assert catalogue.rule(service).price_book == PriceBook.objects.current()
    again, warm = read()
    assert cold == 6 and warm == 0
    assert again is catalogue


@pytest.mark.requirement("R-ORD-2")
def test_every_change_to_what_can_be_booked_is_seen_at_once(service, area):
    read()
    option = ServiceOptionFactory(service_type=service, code="fridge")
    assert read()[0].options[service.pk] == {"fridge": option}

    publish_version(rules={service: {"base_price": Decimal("777000")}})
    assert base_price(read()[0], service) == Decimal("777000")

    other = AreaFactory(code="south", name="South")
    assert set(read()[0].areas) == {area.code, other.code}
    other.is_active = False
    other.save()
    assert set(read()[0].areas) == {area.code}

    service.is_active = False
    service.save()
    assert read()[0].services == {}
    service.is_active = True
    service.save()
    assert set(read()[0].services) == {service.code}


@pytest.mark.requirement("R-ORD-2")
def test_other_processes_see_a_change_within_the_recheck_window(service, area, monkeypatch):
    read()
    # Another process changes the data and bumps the version: this process has no signal.
    ServiceType.objects.filter(pk=service.pk).update(is_active=False)
    cache.incr(catalogue_cache._catalogue.versions.key())
    assert set(read()[0].services) == {service.code}  # looked at the version a moment ago
    monkeypatch.setattr(catalogue_cache._catalogue, "recheck_seconds", 0)
    assert read()[0].services == {}


@pytest.mark.requirement("R-ORD-2")
def test_a_transaction_that_changed_it_reads_afresh_and_a_rollback_leaves_nothing(service, area):
    kept_catalogue, _queries = read()
    with pytest.raises(RuntimeError), transaction.atomic():
        ServiceArea.objects.create(code="west", name="West")
        inside, queries = read()
        assert "west" in inside.areas and queries > 0
        assert read()[1] > 0  # not kept: the transaction may still roll back
        raise RuntimeError("roll back")
    after, queries = read()
    assert after is kept_catalogue and queries == 0
    assert "west" not in after.areas


@pytest.mark.requirement("R-ORD-2")
def test_a_version_published_for_later_takes_effect_when_its_time_comes(
    now, service, area, time_machine
):
    before = base_price(read()[0], service)
    later = PriceBook.objects.create(
        number=99, valid_from=NOW + timedelta(hours=1), created_by=price_admin()
    )
    rule = PriceRule.objects.get(price_book=PriceBook.objects.current(), service_type=service)
    rule.pk, rule.price_book, rule.base_price = None, later, before + 1000
    rule.save()
    later.status = PriceBookStatus.PUBLISHED
    later.published_at, later.published_by = NOW, price_admin()
    later.save()

    catalogue, _queries = read()
    assert base_price(catalogue, service) == before
    assert catalogue.expires_at == later.valid_from
    time_machine.move_to(NOW + timedelta(hours=1, seconds=1), tick=False)
    assert base_price(read()[0], service) == before + 1000


@pytest.mark.requirement("R-ORD-2")
def test_without_the_cache_every_use_reads_afresh(service, area, monkeypatch, caplog):
    class Unreachable:
        def __getattr__(self, name):
            raise ConnectionError("Redis is down")

    monkeypatch.setattr(kept, "cache", Unreachable())
    _first, cold = read()
    second, again = read()
    assert set(second.services) == {service.code} and cold == again > 0
    assert "Cache unreachable" in caplog.text


@pytest.mark.requirement("R-ORD-2")
def test_a_repeated_quote_asks_the_database_nothing(now, service, area, customer):
    ProviderFactory()
    client = APIClient()
    client.force_authenticate(customer)
    body = {
        "service": service.code,
        "area": area.code,
        "day": "2026-03-03",
        "start": "10:00",
        "home_area_sqm": 80,
    }
    assert client.post(reverse("api:quote"), body, format="json").status_code == 200
    with CaptureQueriesContext(connection) as captured:
        response = client.post(reverse("api:quote"), body, format="json")
    assert response.status_code == 200, response.json()
    assert len(captured) == 0
    # An unknown service or area is refused as before, without a query either.
    with CaptureQueriesContext(connection) as captured:
        refused = client.post(reverse("api:quote"), {**body, "service": "nope"}, format="json")
    assert refused.status_code == 400 and len(captured) == 0
    assert refused.json()["errors"]["service"] == ["Choose one of the services on the list."]
