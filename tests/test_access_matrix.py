"""Who may see and do what, as one table (R-SEC-5).

Every page and endpoint of the URLconf (and so of the OpenAPI schema) has a row in
`tests/access_table.py`: for GET and for POST, the personas let through. Each route is called
by every persona (a visitor, two customers, two providers, an applicant, each staff group and a
superuser) with both verbs, on one world where the objects belong to the first customer and the
first provider; each call runs in a savepoint rolled back afterwards, so an allowed POST changes
nothing for the next persona. A route without a row fails, so a new URL cannot go unchecked.
The Django admin is checked per model: its list and one object's page, for every persona, against
the table's staff columns. `docs/architecture.md` shows the same table (a test keeps them equal).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.groups import sync_staff_groups
from accounts.models import Role, StaffGroup
from core.kept import forget_everything
from matching.models import BatchRun, Offer, OfferStatus
from orders.models import Channel, OrderStatus
from orders.services.contracts import generate_contract
from payments.gateways import sandbox
from payments.models import SandboxCharge
from payments.services import checkout
from providers.models import ProviderStatus
from reviews.models import ProviderFeedbackCall
from support.services import open_ticket

from .access_table import ADMIN_TABLE, PERSONAS, TABLE, render_markdown
from .factories import (
    AreaFactory,
    CustomerFactory,
    OrderFactory,
    ProviderFactory,
    ServiceTypeFactory,
    UserFactory,
    local_datetime,
)
from .orders.recurring_factories import repeatable_order, start_weekly

pytestmark = [pytest.mark.django_db, pytest.mark.requirement("R-SEC-5")]

SKIPPED_PREFIXES = ("admin/", "^media/")


def routes() -> dict[str, tuple[str, list[str]]]:
    """Every named route outside the admin: 'namespace:name' -> (pattern, its arguments)."""
    found: dict[str, tuple[str, list[str]]] = {}

    def walk(patterns, prefix: str, namespace: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                space = namespace
                if pattern.namespace:
                    space = f"{namespace}{pattern.namespace}:"
                walk(pattern.url_patterns, prefix + str(pattern.pattern), space)
            elif isinstance(pattern, URLPattern):
                route = prefix + str(pattern.pattern)
                if route.startswith(SKIPPED_PREFIXES) or not pattern.name:
                    continue
                found[namespace + pattern.name] = (route, list(pattern.pattern.converters))

    walk(get_resolver().url_patterns, "", "")
    return found


@dataclass
class World:
    users: dict[str, object]
    kwargs: dict[str, dict]


def staff(group: str, name: str):
    user = UserFactory(role=Role.OPERATOR, is_staff=True, full_name=name)
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def world(settings, tmp_path) -> World:
    settings.MAX_OPEN_ORDERS_PER_CUSTOMER = 1000
    sync_staff_groups()
    area, service = AreaFactory(), ServiceTypeFactory()
    customer, other_customer = CustomerFactory(), CustomerFactory()
    provider = ProviderFactory(areas=[area])
    other_provider = ProviderFactory(areas=[area])
    applicant = ProviderFactory(status=ProviderStatus.INTERVIEWED, vetting_completed_at=None)
    superuser = UserFactory(role=Role.OPERATOR, is_staff=True, is_superuser=True)
    users = {
        "anonymous": None,
        "customer": customer,
        "other_customer": other_customer,
        "provider": provider.user,
        "other_provider": other_provider.user,
        "applicant": applicant.user,
        "vetting": staff(StaffGroup.VETTING, "Vera Vetting"),
        "support": staff(StaffGroup.SUPPORT, "Sam Support"),
        "quality": staff(StaffGroup.QUALITY, "Quinn Quality"),
        "finance": staff(StaffGroup.FINANCE, "Fiona Finance"),
        "superuser": superuser,
    }
    assert set(users) == set(PERSONAS)
    confirmed = OrderFactory(
        customer=customer,
        provider=provider,
        service_type=service,
        area=area,
        status=OrderStatus.CONFIRMED,
    )
    contract = generate_contract(order=confirmed)
    waiting = OrderFactory(customer=customer, service_type=service, area=area)
    done = repeatable_order(
        customer=customer,
        provider=provider,
        service=service,
        area=area,
        starts_at=local_datetime(-3, 10),
    )
    series = start_weekly(done)
    by_phone = OrderFactory(
        customer=customer, service_type=service, area=area, channel=Channel.PHONE
    )
    offered = OrderFactory(
        customer=customer, service_type=service, area=area, status=OrderStatus.OFFERED
    )
    offer = Offer.objects.create(
        order=offered,
        provider=provider,
        status=OfferStatus.PENDING,
        expires_at=timezone.now() + timedelta(hours=1),
    )
    batch = BatchRun.objects.create(
        area=area, day=timezone.localdate(), requested_by=superuser, reason="Access", order_ids=[]
    )
    call = ProviderFeedbackCall.objects.create(
        provider=provider, milestone=10, due_at=timezone.now() + timedelta(days=1)
    )
    ticket = open_ticket(opened_by=customer, order=confirmed, subject="Late", body="Still waiting")
    receipt, open_charge = paid_and_open_payments(done, by_phone)
    from .providers.test_documents import make_document

    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    document = make_document(applicant, "id_scan")
    pk = {"pk": confirmed.pk}
    kwargs = {
        "orders:detail": pk,
        "orders:cancel": pk,
        "orders:contract": pk,
        "orders:contract_pdf": pk,
        "orders:reschedule": pk,
        "orders:claim": {"pk": done.pk},
        "orders:repeat": {"pk": done.pk},
        "orders:phone_done": {"pk": by_phone.pk},
        "orders:series_change": {"pk": series.pk, "action": "pause"},
        "orders:job_detail": pk,
        "orders:job_check_in": pk,
        "orders:job_start": pk,
        "orders:job_on_the_way": pk,
        "orders:job_complete": pk,
        "contract_verify": {"public_id": contract.public_id},
        "matching:offer_accept": {"pk": offer.pk},
        "matching:offer_decline": {"pk": offer.pk},
        "matching:choose": {"pk": waiting.pk},
        "matching:choose_provider": {"pk": waiting.pk},
        "matching:other_providers": {"pk": waiting.pk},
        "matching:candidates": {"pk": waiting.pk},
        "matching:batch_result": {"pk": batch.pk},
        "providers:document_file": {"pk": document.pk},
        "reviews:rate": {"order_pk": done.pk},
        "reviews:staff_call": {"pk": call.pk},
        "support:detail": {"pk": ticket.pk},
        "support:new_for_order": {"order_pk": confirmed.pk},
        "api:order": pk,
        "api:order_cancel": pk,
        "api:order_new_times": pk,
        "api:order_reschedule": pk,
        "api:order_repeat_agreement": {"pk": done.pk},
        "api:series_pause": {"pk": series.pk},
        "api:series_resume": {"pk": series.pk},
        "api:series_end": {"pk": series.pk},
        "matching_api:recommendations": {"pk": waiting.pk},
        "matching_api:choose": {"pk": waiting.pk},
        "matching_api:others": {"pk": waiting.pk},
        "payments:pay": {"pk": waiting.pk},
        "payments:return": {"gateway": "sandbox"},
        "payments:callback": {"gateway": "sandbox"},
        "payments:receipt_pdf": {"pk": receipt.pk},
        "payments:sandbox_card": {"charge_id": open_charge.charge_id},
        "payments_api:start": {"pk": waiting.pk},
        "payments_api:payment": {"reference": receipt.payment.reference},
    }
    return World(users=users, kwargs=kwargs)


def paid_and_open_payments(paid_order, open_order):
    """A payment paid through the sandbox (its receipt) and one waiting on the card page."""
    paid = checkout.start_payment(order=paid_order, customer=paid_order.customer)
    paid = checkout.send_to_gateway(paid, return_url="http://testserver/r", callback_url="")
    charge = SandboxCharge.objects.get(charge_id=paid.gateway_reference)
    sandbox.SandboxGateway.pay(charge, sandbox.PAYING_CARD)
    paid = checkout.recheck_payment(paid)
    waiting = checkout.start_payment(order=open_order, customer=open_order.customer)
    waiting = checkout.send_to_gateway(waiting, return_url="http://testserver/r", callback_url="")
    return paid.receipt, SandboxCharge.objects.get(charge_id=waiting.gateway_reference)


LOGIN_PATHS = ("/accounts/login/", "/admin/login/")


def let_through(response) -> bool:
    """Whether the door opened: refusals are 401, 403, 404, 405 (the verb is not offered) and a
    redirect to a login page; anything else (a page, a redirect onwards, a form's 400) opened."""
    assert response.status_code < 500, (response.status_code, response.content[:300])
    if response.status_code in (401, 403, 404, 405):
        return False
    if response.status_code in (301, 302, 303):
        return not urlsplit(response["Location"]).path.startswith(LOGIN_PATHS)
    return True


def call(world: World, persona: str, url: str, verb: str) -> bool:
    user = world.users[persona]
    if url.startswith("/api/"):
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
    else:
        client = Client()
        if user is not None:
            client.force_login(user)
    with transaction.atomic():
        response = client.get(url) if verb == "get" else client.post(url, {})
        transaction.set_rollback(True)
    forget_everything()
    return let_through(response)


def test_every_route_has_a_row_and_every_row_a_route():
    assert set(routes()) == set(TABLE), (
        "Add each new URL to tests/access_table.py (and docs/architecture.md)"
    )


def test_every_object_route_is_called_with_an_object_of_the_world(world):
    for name, (_, arguments) in routes().items():
        if arguments:
            assert set(world.kwargs.get(name, {})) == set(arguments), name


def test_every_api_path_of_the_schema_is_a_route_with_a_row(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    api_routes = {
        "/" + pattern.replace("<int:pk>", "{id}").replace("<", "{").replace(">", "}")
        for name, (pattern, _) in routes().items()
        if pattern.startswith("api/")
    }
    for path in schema["paths"]:
        assert path.replace("{pk}", "{id}") in api_routes, path


@pytest.mark.parametrize("name", sorted(TABLE))
def test_each_persona_gets_exactly_what_the_table_says(world, name):
    url = reverse(name, kwargs=world.kwargs.get(name))
    wrong = []
    for verb in ("get", "post"):
        allowed = TABLE[name][verb]
        for persona in PERSONAS:
            if call(world, persona, url, verb) != (persona in allowed):
                wrong.append(f"{verb.upper()} {url} as {persona}: table says {persona in allowed}")
    assert not wrong, "\n".join(wrong)


def admin_models():
    return sorted(admin.site._registry, key=lambda model: model._meta.label_lower)


def test_every_admin_model_has_a_row():
    assert {model._meta.label_lower for model in admin_models()} == set(ADMIN_TABLE)


def test_the_admin_shows_each_model_to_exactly_the_staff_the_table_names(world):
    wrong = []
    for model in admin_models():
        label = model._meta.label_lower
        info = (model._meta.app_label, model._meta.model_name)
        urls = [reverse("admin:{}_{}_changelist".format(*info))]
        instance = model._default_manager.order_by("pk").first()
        if instance is not None:
            urls.append(reverse("admin:{}_{}_change".format(*info), args=[instance.pk]))
        for persona in PERSONAS:
            for url in urls:
                if call(world, persona, url, "get") != (persona in ADMIN_TABLE[label]):
                    wrong.append(f"GET {url} as {persona}")
    assert not wrong, "\n".join(wrong)


def test_the_architecture_note_shows_the_table():
    note = (Path(__file__).resolve().parent.parent / "docs" / "architecture.md").read_text()
    assert render_markdown() in note, "Paste tests.access_table.render_markdown() into the note"
