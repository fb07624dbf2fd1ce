"""The API answers as its OpenAPI schema says (R-ORD-1): schemathesis generates requests for
every operation of the schema drf-spectacular serves, sends them through the WSGI app with a
customer's token (got from the token endpoint, as an app would) and checks every answer: no
server error, a documented status code, content type and headers, a body that fits the
documented schema. Every endpoint is a customer's: a provider meets the API only at the login,
which refuses them (checked on its own below).

Deterministic and bounded: derandomized, a fixed seed, the coverage phase (the schema's
boundaries, wrong types, missing fields, other methods) and 20 fuzzed cases per operation, no
example database. Each operation runs against a seeded world (rolled back after it); generated
ids and catalogue codes are mostly pointed at it, so the answers are not only 404s and "unknown
code" refusals.
"""

import json
import zlib
from datetime import timedelta

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings

from config.wsgi import application
from matching.models import Recommendation
from matching.tasks import match_order_task
from orders.models import OrderStatus
from tests.factories import PASSWORD, CustomerFactory, OrderFactory, ProviderFactory
from tests.orders.care_factories import care_order
from tests.orders.recurring_factories import repeatable_order, start_weekly

CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
    schemathesis.checks.response_headers_conformance,
]

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 20260302,
        "generation": {"deterministic": True, "database": "none"},
        "phases": {"stateful": {"enabled": False}},
    }
)


def _served_schema() -> dict:
    """The schema as /api/schema/ serves it (JSON: translated strings made plain)."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(schema))


SCHEMA = schemathesis.openapi.from_dict(_served_schema(), config=CONFIG)


@pytest.fixture(autouse=True)
def _generous_limits(settings):
    # Hundreds of generated calls from one address and account; the limits are tested elsewhere.
    settings.LOGIN_TRIES_PER_ACCOUNT = settings.LOGIN_TRIES_PER_ADDRESS = 100_000
    settings.LOGIN_TRIES_PER_ACCOUNT_PER_DAY = settings.LOGIN_TRIES_PER_ADDRESS_PER_DAY = 100_000
    settings.MAX_OPEN_ORDERS_PER_CUSTOMER = 100_000
    # The customer chooses among recommended providers (the recommendations endpoints).
    settings.MATCHING_MODE = "recommend"


@pytest.fixture
def app(db):
    """The WSGI app. Requests go through it, not Django's test client, so do what the client
    does: keep the test's connection (and its transaction) open across requests."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield application
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def login(user):
    """The case of POST /api/v1/auth/token with the user's phone number and password."""
    return SCHEMA["/api/v1/auth/token"]["POST"].Case(
        body={"phone": str(user.phone), "password": PASSWORD}
    )


@pytest.fixture
def world(app, service, area, django_capture_on_commit_callbacks):
    """A customer's token and orders in each state some endpoint answers differently for: one
    waiting for a choice among recommendations, a confirmed one, a completed one repeated
    weekly, one with the person cared for."""
    customer = CustomerFactory()
    provider, other_provider = ProviderFactory(), ProviderFactory()
    requested = OrderFactory(customer=customer, service_type=service, area=area)
    with django_capture_on_commit_callbacks(execute=True):
        match_order_task.delay(requested.pk)
    assert Recommendation.objects.filter(order=requested, provider=other_provider).exists()
    confirmed = OrderFactory(
        customer=customer,
        provider=provider,
        service_type=service,
        area=area,
        status=OrderStatus.CONFIRMED,
    )
    today_at_ten = timezone.localtime().replace(hour=10, minute=0, second=0, microsecond=0)
    completed = repeatable_order(
        customer=customer,
        provider=provider,
        service=service,
        area=area,
        starts_at=today_at_ten - timedelta(days=3),
    )
    series = start_weekly(completed, agreement=True)
    cared_for = care_order(customer=customer, area=area)
    logged_in = login(customer).call(app=app)
    assert logged_in.status_code == 200, logged_in.text
    return {
        "token": logged_in.json()["token"],
        "order_ids": [requested.pk, confirmed.pk, completed.pk, cared_for.pk],
        "series_ids": [series.pk],
        "codes": {"service": [service.code, cared_for.service_type.code], "area": [area.code]},
    }


def _pick(known: list, generated):
    """One of the known values, or now and then the generated one; the same for the same
    generated value."""
    choices = [*known, generated]
    return choices[zlib.crc32(repr(generated).encode()) % len(choices)]


def aim_at_the_world(case, world) -> None:
    """Point generated ids and catalogue codes at the seeded objects, most of the time."""
    ids = world["series_ids"] if case.path.startswith("/api/v1/series/") else world["order_ids"]
    if isinstance(case.path_parameters, dict) and isinstance(case.path_parameters.get("id"), int):
        case.path_parameters["id"] = _pick(ids, case.path_parameters["id"])
    for container in (case.body, case.query):
        if not isinstance(container, dict):
            continue
        for key, known in world["codes"].items():
            if isinstance(container.get(key), str):
                container[key] = _pick(known, container[key])
        if isinstance(container.get("order"), int):
            container["order"] = _pick(world["order_ids"], container["order"])


@pytest.mark.requirement("R-ORD-1")
@SCHEMA.parametrize()
@settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    database=None,
    # An operation's cases share its world on purpose (it is rolled back after the operation);
    # a busy machine is not a failure.
    suppress_health_check=list(HealthCheck),
)
def test_the_api_answers_as_its_schema_says(case, world, app):
    aim_at_the_world(case, world)
    case.call_and_validate(
        app=app, headers={"Authorization": f"Token {world['token']}"}, checks=CHECKS
    )


@pytest.mark.requirement("R-ORD-1")
def test_a_provider_logging_in_is_answered_as_documented(app, provider):
    """The API is for customers: there is no provider endpoint and no provider token, so the
    provider persona meets the API at the login, which refuses them."""
    login(provider.user).call_and_validate(app=app, checks=CHECKS)
