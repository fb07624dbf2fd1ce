"""Test data for the person cared for (R-ORD-1)."""

from orders.models import Mobility, Order, OrderStatus
from orders.services.care import CareDetails, create_care_recipient
from tests.factories import OrderFactory, ServiceTypeFactory

DETAILS = CareDetails(
    full_name="Parvin Ahmadi",
    age=82,
    mobility=Mobility.WALKS_WITH_HELP,
    conditions=("dementia", "diabetes"),
    other_conditions="Insulin at 13:00",
    language="Azerbaijani",
    special_needs="Tea without sugar; afraid of the dark.",
)


def care_service():
    return ServiceTypeFactory(
        code="elderly-day-care", name="Elderly day care", asks_about_person_cared_for=True
    )


def care_fields(**overrides) -> dict:
    """The booking form's fields for DETAILS (prefix "care")."""
    data = {
        "care-full_name": DETAILS.full_name,
        "care-age": str(DETAILS.age),
        "care-mobility": DETAILS.mobility,
        "care-conditions": list(DETAILS.conditions),
        "care-other_conditions": DETAILS.other_conditions,
        "care-language": DETAILS.language,
        "care-special_needs": DETAILS.special_needs,
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def care_api(**overrides) -> dict:
    data = {
        "full_name": DETAILS.full_name,
        "age": DETAILS.age,
        "mobility": DETAILS.mobility,
        "conditions": list(DETAILS.conditions),
        "other_conditions": DETAILS.other_conditions,
        "language": DETAILS.language,
        "special_needs": DETAILS.special_needs,
    }
    data.update(overrides)
    return data


def care_order(*, status=OrderStatus.REQUESTED, **fields) -> Order:
    """An elderly-care order with the person cared for recorded."""
    fields.setdefault("service_type", care_service())
    order = OrderFactory(status=status, **fields)
    create_care_recipient(order=order, details=DETAILS)
    return order
