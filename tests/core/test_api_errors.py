"""The API's one error shape and what its schema promises (R-ORD-1), as schemathesis found them
broken (tests/test_api_conformance.py): nested field errors are named by their path, a URL under
/api/ that matches nothing answers 404 in JSON, a wrong page or page size is a 400 and a page
past the last a documented 404, the schema says which strings may not be blank, and local times
are not OpenAPI "time" (which needs an offset)."""

import re

import pytest
from django.urls import reverse
from rest_framework import serializers
from rest_framework.test import APIClient

from core.api import api_exception_handler
from tests.factories import OrderFactory

pytestmark = pytest.mark.django_db

ORDERS_URL = "/api/v1/orders"
NOT_FOUND = {"errors": {"non_field_errors": ["Not found."]}}


@pytest.fixture
def api(customer):
    client = APIClient()
    client.force_authenticate(customer)
    return client


@pytest.fixture
def schema(client):
    return client.get(reverse("api_schema"), {"format": "json"}).json()


# --- Nested errors ------------------------------------------------------------------------


@pytest.mark.requirement("R-ORD-1")
def test_nested_field_errors_are_named_by_their_path():
    refusal = serializers.ValidationError(
        {
            "address": ["This field may not be blank."],
            "person_cared_for": {
                "age": ["Ensure this value is greater than or equal to 1."],
                "non_field_errors": ["Fill in their details."],
            },
            "options": {0: ["This field may not be blank."]},
            "visits": [{}, {"day": ["Enter a valid date."]}],
        }
    )
    response = api_exception_handler(refusal, {})
    assert response.status_code == 400
    assert response.data == {
        "errors": {
            "address": ["This field may not be blank."],
            "person_cared_for.age": ["Ensure this value is greater than or equal to 1."],
            "person_cared_for": ["Fill in their details."],
            "options.0": ["This field may not be blank."],
            "visits.1.day": ["Enter a valid date."],
        }
    }


@pytest.mark.requirement("R-ORD-1")
def test_a_blank_option_in_the_query_is_named_by_its_position(api, service, area):
    params = {"service": service.code, "area": area.code, "day": "2030-01-07", "options": ""}
    response = api.get(reverse("api:slots"), params)
    assert response.status_code == 400
    assert response.json() == {"errors": {"options.0": ["This field may not be blank."]}}


# --- 404 ----------------------------------------------------------------------------------


@pytest.mark.requirement("R-ORD-1")
@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/orders/abc",
        "/api/v1/orders/null,null/cancel",
        "/api/v1/series/1.5/pause",
        "/api/v1/no-such-endpoint",
    ],
)
def test_an_api_url_that_matches_nothing_is_a_json_404(api, path):
    response = api.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == NOT_FOUND


@pytest.mark.requirement("R-ORD-1")
def test_a_page_that_does_not_exist_keeps_the_html_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


# --- Pages --------------------------------------------------------------------------------


@pytest.mark.requirement("R-ORD-1")
@pytest.mark.parametrize(
    ("params", "errors"),
    [
        ({"page": -3}, {"page": ["Ensure this value is greater than or equal to 1."]}),
        ({"page": 0}, {"page": ["Ensure this value is greater than or equal to 1."]}),
        ({"page": "last"}, {"page": ["A valid integer is required."]}),
        ({"page_size": "null"}, {"page_size": ["A valid integer is required."]}),
        ({"page_size": 0}, {"page_size": ["Ensure this value is greater than or equal to 1."]}),
        ({"page_size": 101}, {"page_size": ["Ensure this value is less than or equal to 100."]}),
    ],
)
def test_a_wrong_page_or_page_size_is_refused_in_the_error_shape(api, customer, params, errors):
    OrderFactory(customer=customer)
    response = api.get(ORDERS_URL, params)
    assert response.status_code == 400
    assert response.json() == {"errors": errors}


@pytest.mark.requirement("R-ORD-1")
def test_a_page_past_the_last_is_a_404_in_the_error_shape(api, customer):
    OrderFactory.create_batch(3, customer=customer)
    second = api.get(ORDERS_URL, {"page": 2, "page_size": 2}).json()
    assert (second["count"], len(second["results"]), second["next"]) == (3, 1, None)
    assert second["previous"].endswith(f"{ORDERS_URL}?page_size=2")
    past = api.get(ORDERS_URL, {"page": 3, "page_size": 2})
    assert past.status_code == 404
    assert past.json() == {"errors": {"non_field_errors": ["Invalid page."]}}


@pytest.mark.requirement("R-ORD-1")
def test_the_schema_documents_the_page_parameters_and_their_refusals(schema):
    listing = schema["paths"][ORDERS_URL]["get"]
    parameters = {p["name"]: p["schema"] for p in listing["parameters"]}
    assert parameters == {
        "page": {"type": "integer", "minimum": 1},
        "page_size": {"type": "integer", "minimum": 1, "maximum": 100},
    }
    assert {"400", "404"} <= set(listing["responses"])


# --- Blank strings ------------------------------------------------------------------------


def _request_components(schema) -> set[str]:
    """The components request bodies use, with the ones nested in them."""
    components = schema["components"]["schemas"]
    found: set[str] = set()

    def walk(node):
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            name = ref.rsplit("/", 1)[-1]
            if name in components and name not in found:
                found.add(name)
                walk(components[name])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for item in schema["paths"].values():
        for operation in item.values():
            walk(operation.get("requestBody", {}))
    return found


def _serializers_by_name() -> dict[str, type]:
    found: dict[str, type] = {}

    def walk(cls):
        for sub in cls.__subclasses__():
            found.setdefault(sub.__name__, sub)
            walk(sub)

    walk(serializers.Serializer)
    return found


@pytest.mark.requirement("R-ORD-1")
def test_the_schema_says_which_request_strings_may_not_be_blank(schema):
    components = schema["components"]["schemas"]
    by_name = _serializers_by_name()
    checked = []
    for name in sorted(_request_components(schema)):
        if name not in by_name:
            continue  # an enum
        for field_name, field in by_name[name]().fields.items():
            if not isinstance(field, serializers.CharField) or field.read_only:
                continue
            declared = components[name]["properties"][field_name]
            refuses_blank = not field.allow_blank
            assert (declared.get("minLength", 0) >= 1) == refuses_blank, (name, field_name)
            if refuses_blank:  # nor only spaces, which DRF trims to blank
                assert not re.search(declared["pattern"], "   "), (name, field_name)
            checked.append(f"{name}.{field_name}")
    assert {"CancelIn.reason", "OrderCreateIn.address", "CareRecipientIn.full_name"} <= set(checked)
    assert components["OrderCreateIn"]["properties"]["notes"].get("minLength") is None


# --- Local times --------------------------------------------------------------------------


@pytest.mark.requirement("R-ORD-1")
@pytest.mark.parametrize(
    ("component", "field", "answer"),
    [("SeriesOut", "start_time", "10:00:00"), ("NewTimeOut", "start", "10:00")],
)
def test_local_times_are_documented_as_the_api_writes_them(schema, component, field, answer):
    declared = schema["components"]["schemas"][component]["properties"][field]
    assert "format" not in declared  # OpenAPI's "time" needs an offset, "10:00" has none
    assert re.search(declared["pattern"], answer)
    assert not re.search(declared["pattern"], "25:00")
