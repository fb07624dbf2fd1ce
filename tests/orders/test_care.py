"""The person cared for (R-ORD-1): recorded by every intake channel for services that ask,
encrypted at rest, and shown only to the customer, the assigned provider and permitted staff."""

from datetime import time, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Role
from matching.models import Offer
from orders.models import (
    CareRecipient,
    CareRecipientAccess,
    Order,
    OrderEvent,
    OrderStatus,
)
from orders.services import booking, guarantee
from orders.services.care import CareDetails, can_see_care_details, validate_care
from tests.factories import OrderFactory, UserFactory

from .care_factories import DETAILS, care_api, care_fields, care_order, care_service

pytestmark = pytest.mark.django_db

SECRETS = (DETAILS.full_name, "dementia", DETAILS.other_conditions, DETAILS.special_needs)


def booking_data(service, area, /, **overrides):
    data = {
        "service_type": service.pk,
        "area": area.pk,
        "address": "12 Valiasr Street, unit 4",
        "day": (timezone.localdate() + timedelta(days=1)).isoformat(),
        "start": "10:00",
        "home_area_sqm": "80",
        "notes": "",
    }
    return {**data, **overrides}


def phone_data(service, area, /, **overrides):
    caller = {"phone": "0912 555 0101", "full_name": "Reza Caller", "preferred_language": "fa"}
    return {**caller, **booking_data(service, area, **overrides)}


def request_for(service, area, **overrides):
    return booking.BookingRequest(
        service_type=service,
        area=area,
        address="12 Valiasr Street",
        day=timezone.localdate() + timedelta(days=1),
        start=time(10),
        home_area_sqm=80,
        **overrides,
    )


@pytest.fixture
def care(db):
    return care_service()


# --- Storage -----------------------------------------------------------------------------


@pytest.mark.requirement("R-ORD-1", "R-SEC-1")
def test_the_details_are_saved_with_the_order_and_encrypted_at_rest(customer, provider, care, area):
    order = booking.book_order(
        customer=customer, booking=booking.check_booking(request_for(care, area), care=DETAILS)
    )
    recipient = CareRecipient.objects.get(order=order)
    assert (recipient.full_name, recipient.age, recipient.mobility) == (
        "Parvin Ahmadi",
        82,
        "walks_with_help",
    )
    assert recipient.conditions == ["dementia", "diabetes"]
    assert recipient.special_needs == DETAILS.special_needs
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT full_name, condition_codes, other_conditions, special_needs, language, "
            "age, mobility FROM orders_carerecipient"
        )
        (row,) = cursor.fetchall()
    raw = " ".join(row)
    for secret in (*SECRETS, "Azerbaijani", "walks_with_help"):
        assert secret not in raw
    assert all(value.startswith("gAAAA") for value in row)  # Fernet tokens, the age too
    assert recipient.language == "Azerbaijani"


@pytest.mark.requirement("R-ORD-1")
def test_a_care_order_without_the_details_is_refused_and_nothing_is_saved(customer, care, area):
    with pytest.raises(ValidationError) as caught:
        booking.book_order(
            customer=customer, booking=booking.check_booking(request_for(care, area), care=None)
        )
    assert "fill in their details" in str(caught.value)
    assert (Order.objects.count(), OrderEvent.objects.count(), CareRecipient.objects.count()) == (
        0,
        0,
        0,
    )


@pytest.mark.requirement("R-ORD-1")
def test_a_cleaning_order_keeps_no_details_of_a_person(customer, provider, service, area):
    order = booking.book_order(
        customer=customer, booking=booking.check_booking(request_for(service, area), care=DETAILS)
    )
    assert order.pk and not CareRecipient.objects.exists()


@pytest.mark.requirement("R-ORD-1")
@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"full_name": "  "}, "full_name", "Enter the name of the person cared for."),
        ({"full_name": "x" * 151}, "full_name", "The name can be at most 150 characters."),
        ({"age": None}, "age", "Enter the age of the person cared for."),
        ({"age": 0}, "age", "Enter an age from 1 to 130."),
        ({"age": 131}, "age", "Enter an age from 1 to 130."),
        ({"mobility": "flying"}, "mobility", "Choose how well the person cared for can move."),
        (
            {"conditions": ("dementia", "grumpy")},
            "conditions",
            "Choose conditions from the list, or describe them below.",
        ),
        ({"language": ""}, "language", "Enter the language the person cared for speaks."),
        ({"special_needs": "x" * 2001}, "special_needs", "Write at most 2000 characters."),
        ({"other_conditions": "x" * 2001}, "other_conditions", "Write at most 2000 characters."),
    ],
)
def test_each_missing_or_wrong_detail_gets_a_clear_message_and_saves_nothing(
    customer, care, area, change, field, message
):
    details = CareDetails(**{**DETAILS.__dict__, **change})
    with pytest.raises(ValidationError) as caught:
        validate_care(details)
    assert caught.value.message_dict == {field: [message]}
    with pytest.raises(ValidationError):
        booking.book_order(
            customer=customer, booking=booking.check_booking(request_for(care, area), care=details)
        )
    assert (Order.objects.count(), CareRecipient.objects.count()) == (0, 0)


# --- Who sees the details ----------------------------------------------------------------


def staff(*permissions):
    user = UserFactory(role=Role.OPERATOR, is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="orders", codename__in=["view_order", *permissions]
        )
    )
    return user


@pytest.mark.requirement("R-ORD-1", "R-SEC-1")
def test_only_the_customer_the_assigned_provider_and_permitted_staff_see_the_details(
    customer, other_customer, provider, other_provider
):
    order = care_order(customer=customer, provider=provider, status=OrderStatus.CONFIRMED)
    assert can_see_care_details(order, customer)
    assert can_see_care_details(order, provider.user)
    assert not can_see_care_details(order, other_customer)
    assert not can_see_care_details(order, other_provider.user)
    assert can_see_care_details(order, staff("view_carerecipient"))
    assert not can_see_care_details(order, staff())
    assert not can_see_care_details(order, None)


@pytest.mark.requirement("R-ORD-1")
@pytest.mark.parametrize(
    ("status", "sees"),
    [
        (OrderStatus.CONFIRMED, True),
        (OrderStatus.IN_PROGRESS, True),
        (OrderStatus.COMPLETED, True),
        (OrderStatus.CANCELLED, False),
    ],
)
def test_the_provider_sees_the_details_only_while_the_job_is_theirs(provider, status, sees):
    order = care_order(provider=provider, status=status)
    assert can_see_care_details(order, provider.user) is sees


@pytest.mark.requirement("R-ORD-1")
def test_an_offer_never_shows_the_person_cared_for(client, provider):
    order = care_order(status=OrderStatus.OFFERED)
    Offer.objects.create(
        order=order, provider=provider, expires_at=timezone.now() + timedelta(minutes=30)
    )
    assert not can_see_care_details(order, provider.user)
    client.force_login(provider.user)
    page = client.get(reverse("matching:dashboard")).content.decode()
    assert "Elderly day care" in page  # the offer is there...
    for secret in SECRETS:
        assert secret not in page  # ...without the person
    assert client.get(reverse("orders:job_detail", args=[order.pk])).status_code == 404


@pytest.mark.requirement("R-ORD-1")
def test_the_job_page_shows_the_details_to_the_assigned_provider_only(
    client, provider, other_provider
):
    order = care_order(provider=provider, status=OrderStatus.CONFIRMED)
    url = reverse("orders:job_detail", args=[order.pk])
    client.force_login(provider.user)
    page = client.get(url).content.decode()
    assert "Parvin Ahmadi" in page
    assert "Dementia or memory loss" in page
    assert DETAILS.special_needs in page
    client.force_login(other_provider.user)
    assert client.get(url).status_code == 404
    # Lists never show it: the provider's dashboard neither.
    client.force_login(provider.user)
    assert "Parvin Ahmadi" not in client.get(reverse("matching:dashboard")).content.decode()


@pytest.mark.requirement("R-ORD-1")
def test_the_customer_sees_what_they_entered_and_others_get_a_404(client, customer, other_customer):
    order = care_order(customer=customer)
    url = reverse("orders:detail", args=[order.pk])
    client.force_login(customer)
    page = client.get(url).content.decode()
    assert "Parvin Ahmadi" in page and "Azerbaijani" in page
    assert "Parvin Ahmadi" not in client.get(reverse("orders:list")).content.decode()
    client.force_login(other_customer)
    assert client.get(url).status_code == 404


@pytest.mark.requirement("R-ORD-1", "R-SEC-1")
def test_the_admin_shows_the_details_only_with_the_permission_and_logs_each_read(client):
    order = care_order()
    url = reverse("admin:orders_order_change", args=[order.pk])
    without = staff()
    client.force_login(without)
    response = client.get(url)
    assert response.status_code == 200
    assert "Parvin Ahmadi" not in response.content.decode()
    assert not CareRecipientAccess.objects.exists()
    permitted = staff("view_carerecipient")
    client.force_login(permitted)
    page = client.get(url).content.decode()
    assert "Parvin Ahmadi" in page
    access = CareRecipientAccess.objects.get()
    assert (access.user, access.care_recipient.order) == (permitted, order)


# --- Intake channels ---------------------------------------------------------------------


@pytest.mark.requirement("R-ORD-1")
def test_web_booking_asks_about_the_person_and_saves_them_with_the_order(
    customer_client, customer, care, area, provider
):
    data = booking_data(care, area, **care_fields())
    page = customer_client.post(reverse("orders:book"), data).content.decode()
    assert 'id="care-summary"' in page and "Parvin Ahmadi" in page  # read back before confirming
    assert Order.objects.count() == 0
    response = customer_client.post(reverse("orders:book"), {**data, "confirm": "1"})
    order = Order.objects.get()
    assert response["Location"] == reverse("orders:detail", args=[order.pk])
    assert order.care_recipient.full_name == "Parvin Ahmadi"
    assert order.care_recipient.conditions == ["dementia", "diabetes"]


@pytest.mark.requirement("R-ORD-1")
def test_web_booking_without_the_details_shows_the_messages_and_saves_nothing(
    customer_client, care, area, provider
):
    data = booking_data(care, area, confirm="1", **care_fields(**{"care-age": "200"}))
    del data["care-full_name"]
    response = customer_client.post(reverse("orders:book"), data)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Tell us about the person cared for: see the marked fields below." in page
    assert "Enter the name of the person cared for." in page
    assert "Ensure this value is less than or equal to 130." in page
    assert Order.objects.count() == 0


@pytest.mark.requirement("R-ORD-1")
def test_web_booking_of_a_cleaning_ignores_the_empty_care_fieldset(
    customer_client, care, service, area, provider
):
    page = customer_client.get(reverse("orders:book")).content.decode()
    assert f'data-care-services="{care.pk}"' in page  # shown only for care by the script
    response = customer_client.post(
        reverse("orders:book"), booking_data(service, area, confirm="1")
    )
    assert response.status_code == 302
    assert not CareRecipient.objects.exists()


@pytest.mark.requirement("R-ORD-1")
def test_a_phone_order_records_the_person_cared_for(client, care, area, provider):
    agent = UserFactory(role=Role.OPERATOR, is_staff=True, is_superuser=True)
    client.force_login(agent)
    url = reverse("orders:phone_take")
    data = phone_data(care, area, **care_fields())
    page = client.post(url, {**data, "quote": "1"}).content.decode()
    assert "Parvin Ahmadi" in page and Order.objects.count() == 0
    missing = client.post(url, {**data, "confirm": "1", "care-language": ""})
    assert "Enter the language the person cared for speaks." in missing.content.decode()
    assert Order.objects.count() == 0
    response = client.post(url, {**data, "confirm": "1"})
    order = Order.objects.get()
    assert response["Location"] == reverse("orders:phone_done", args=[order.pk])
    assert order.care_recipient.language == "Azerbaijani"


@pytest.fixture
def api(customer):
    client = APIClient()
    client.force_authenticate(customer)
    return client


def api_booking(service, area, **overrides):
    data = {
        "service": service.code,
        "area": area.code,
        "day": (timezone.localdate() + timedelta(days=1)).isoformat(),
        "start": "10:00",
        "home_area_sqm": 80,
        "address": "12 Valiasr Street",
    }
    data.update(overrides)
    return data


@pytest.mark.requirement("R-ORD-1")
def test_the_api_takes_the_details_and_returns_them_only_on_the_orders_own_page(
    api, other_customer, care, area, provider
):
    response = api.post(
        reverse("api:orders"),
        api_booking(care, area, person_cared_for=care_api()),
        format="json",
        headers={"Idempotency-Key": "care-1"},
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    # The create's answer is kept for replays in plain JSON: it leaves the details out.
    assert (body["has_person_cared_for"], body["person_cared_for"]) == (True, None)
    order = Order.objects.get()
    assert order.care_recipient.full_name == "Parvin Ahmadi"
    detail = api.get(reverse("api:order", args=[order.pk])).json()
    assert detail["person_cared_for"]["full_name"] == "Parvin Ahmadi"
    assert detail["person_cared_for"]["conditions"] == ["dementia", "diabetes"]
    assert detail["person_cared_for"]["mobility_display"] == "Walks with help"
    other = APIClient()
    other.force_authenticate(other_customer)
    assert other.get(reverse("api:order", args=[order.pk])).status_code == 404


@pytest.mark.requirement("R-ORD-1")
def test_the_api_refuses_a_care_order_without_or_with_wrong_details(api, care, area, provider):
    missing = api.post(reverse("api:orders"), api_booking(care, area), format="json")
    assert missing.status_code == 400
    assert missing.json() == {
        "errors": {
            "person_cared_for": [
                "This service asks about the person cared for: fill in their details."
            ]
        }
    }
    wrong = api.post(
        reverse("api:orders"),
        api_booking(care, area, person_cared_for=care_api(age=0, language=" ")),
        format="json",
    )
    assert wrong.status_code == 400
    assert wrong.json() == {
        "errors": {
            "person_cared_for.age": ["Ensure this value is greater than or equal to 1."],
            "person_cared_for.language": ["This field may not be blank."],
        }
    }
    assert Order.objects.count() == 0


@pytest.mark.requirement("R-ORD-1")
def test_a_cleaning_order_from_the_api_has_no_person(api, service, area, provider):
    response = api.post(reverse("api:orders"), api_booking(service, area), format="json")
    assert response.status_code == 201
    order_id = response.json()["id"]
    detail = api.get(reverse("api:order", args=[order_id])).json()
    assert (detail["has_person_cared_for"], detail["person_cared_for"]) == (False, None)


def test_the_person_cared_for_is_never_named_in_its_string(care):
    order = OrderFactory(service_type=care)
    recipient = CareRecipient.objects.create(
        order=order, full_name="Parvin Ahmadi", age=80, mobility="bedridden", language="Persian"
    )
    assert "Parvin" not in str(recipient)


@pytest.mark.requirement("R-ORD-1", "R-ORD-7")
def test_a_guarantee_redo_cares_for_the_same_person(customer, operator, provider):
    order = care_order(
        customer=customer,
        provider=provider,
        status=OrderStatus.COMPLETED,
        completed_at=timezone.now(),
    )
    claim = guarantee.claim_guarantee(order=order, customer=customer, description="Left early")
    claim = guarantee.decide_claim(
        claim=claim,
        actor=operator,
        decision=guarantee.ClaimDecision.REDO,
        day=timezone.localdate() + timedelta(days=2),
        start=time(10),
    )
    redo = claim.redo_order.care_recipient
    assert (redo.full_name, redo.conditions) == ("Parvin Ahmadi", ["dementia", "diabetes"])
    assert CareRecipient.objects.count() == 2


@pytest.mark.requirement("R-ORD-1")
def test_support_staff_may_read_the_details_and_quality_staff_may_not():
    from django.contrib.auth.models import Group

    order = care_order()
    support, quality = staff(), staff()
    support.groups.add(Group.objects.get(name="support"))
    quality.groups.add(Group.objects.get(name="quality"))
    support, quality = (
        type(support).objects.get(pk=support.pk),
        type(quality).objects.get(pk=quality.pk),
    )  # fresh permission caches
    assert can_see_care_details(order, support)
    assert not can_see_care_details(order, quality)
