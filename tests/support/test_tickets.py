import pytest
from django.urls import reverse

from support import services
from support.models import Ticket, TicketEvent, TicketStatus
from tests.factories import OrderFactory

pytestmark = pytest.mark.django_db


@pytest.mark.requirement("R-SUP-1")
def test_customer_opens_a_ticket_from_the_order_page(customer_client, customer, provider):
    order = OrderFactory(customer=customer, status="completed", provider=provider)
    page = customer_client.get(reverse("orders:detail", args=[order.pk]))
    assert reverse("support:new_for_order", args=[order.pk]) in page.content.decode()
    response = customer_client.post(
        reverse("support:new_for_order", args=[order.pk]),
        {"subject": "Came late", "body": "The provider arrived an hour late."},
    )
    ticket = Ticket.objects.get()
    assert response["Location"] == reverse("support:detail", args=[ticket.pk])
    assert (ticket.order, ticket.opened_by, ticket.status) == (order, customer, "open")
    assert ticket.events.get().to_status == "open"
    detail = customer_client.get(response["Location"])
    assert "Came late" in detail.content.decode()


def test_a_ticket_needs_a_subject_and_a_message(customer_client, customer):
    order = OrderFactory(customer=customer)
    response = customer_client.post(
        reverse("support:new_for_order", args=[order.pk]), {"subject": "", "body": ""}
    )
    assert response.status_code == 200
    assert response.context["form"].errors.keys() == {"subject", "body"}
    assert Ticket.objects.count() == 0


def test_no_ticket_about_another_customers_order(customer_client, customer, other_customer):
    order = OrderFactory(customer=other_customer)
    response = customer_client.post(
        reverse("support:new_for_order", args=[order.pk]), {"subject": "x", "body": "y"}
    )
    assert response.status_code == 404
    with pytest.raises(services.TicketError):
        services.open_ticket(opened_by=customer, order=order, subject="x", body="y")
    assert Ticket.objects.count() == 0


def test_customers_see_only_their_own_tickets(client, customer, other_customer):
    mine = services.open_ticket(opened_by=customer, subject="Mine", body="...")
    theirs = services.open_ticket(opened_by=other_customer, subject="Theirs", body="...")
    client.force_login(customer)
    listing = client.get(reverse("support:list")).content.decode()
    assert "Mine" in listing and "Theirs" not in listing
    assert client.get(reverse("support:detail", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("support:detail", args=[mine.pk])).status_code == 200


@pytest.mark.requirement("R-SEC-2")
def test_ticket_status_changes_are_audited_and_closed_is_final(customer, operator):
    ticket = services.open_ticket(opened_by=customer, subject="Help", body="Please")
    services.change_ticket_status(ticket=ticket, to=TicketStatus.IN_PROGRESS, actor=operator)
    services.change_ticket_status(
        ticket=ticket, to=TicketStatus.RESOLVED, actor=operator, reason="Refunded"
    )
    services.change_ticket_status(ticket=ticket, to=TicketStatus.CLOSED, actor=operator)
    with pytest.raises(services.TicketError):
        services.change_ticket_status(ticket=ticket, to=TicketStatus.OPEN, actor=operator)
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CLOSED
    assert list(TicketEvent.objects.values_list("to_status", "actor_id", "reason")) == [
        ("open", customer.pk, "Opened"),
        ("in_progress", operator.pk, ""),
        ("resolved", operator.pk, "Refunded"),
        ("closed", operator.pk, ""),
    ]


@pytest.mark.requirement("R-SUP-1")
def test_operators_see_and_work_tickets_in_the_admin(client, customer, operator):
    ticket = services.open_ticket(opened_by=customer, subject="Broken vase", body="...")
    client.force_login(operator)
    listing = client.get(reverse("admin:support_ticket_changelist"), {"status__exact": "open"})
    assert "Broken vase" in listing.content.decode()
    url = reverse("admin:support_ticket_changelist")
    ask = client.post(url, {"action": "mark_resolved", "_selected_action": [ticket.pk]})
    assert "Reason" in ask.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == "open"  # nothing happens before the reason is given
    client.post(
        url,
        {
            "action": "mark_resolved",
            "_selected_action": [ticket.pk],
            "apply": "1",
            "reason": "Compensated with a credit",
        },
    )
    ticket.refresh_from_db()
    assert ticket.status == "resolved"
    assert ticket.events.last().reason == "Compensated with a credit"


@pytest.fixture
def agent_client(client, db):
    from django.contrib.auth.models import Group

    from tests.factories import OperatorFactory

    agent = OperatorFactory(full_name="Sami Agent", is_superuser=False)
    agent.groups.add(Group.objects.get(name="support"))
    client.force_login(agent)
    client.agent = agent
    return client


@pytest.mark.requirement("R-SUP-1", "R-SEC-2")
def test_an_agent_records_a_callers_ticket_in_the_admin(agent_client, customer, provider):
    order = OrderFactory(customer=customer, status="completed", provider=provider)
    add = reverse("admin:support_ticket_add")
    assert agent_client.get(add).status_code == 200
    response = agent_client.post(
        add,
        {
            "opened_by": customer.pk,
            "order": order.pk,
            "subject": "Broken vase",
            "body": "The caller says a vase was broken during the cleaning.",
        },
    )
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert (ticket.opened_by, ticket.order, ticket.subject) == (customer, order, "Broken vase")
    event = ticket.events.get()
    assert (event.to_status, event.actor, event.reason) == (
        TicketStatus.OPEN,
        agent_client.agent,
        "Recorded by support for the caller",
    )
    # The record is then read-only but for the assignee, with its history.
    page = agent_client.get(reverse("admin:support_ticket_change", args=[ticket.pk]))
    assert page.status_code == 200 and "Recorded by support for the caller" in page.content.decode()


def test_the_admin_refuses_a_ticket_about_someone_elses_order_and_saves_nothing(
    agent_client, customer, other_customer
):
    order = OrderFactory(customer=other_customer)
    response = agent_client.post(
        reverse("admin:support_ticket_add"),
        {"opened_by": customer.pk, "order": order.pk, "subject": "x", "body": "y"},
    )
    assert response.status_code == 200
    assert "You can only open tickets about your own orders." in response.content.decode()
    assert Ticket.objects.count() == 0
    missing = agent_client.post(reverse("admin:support_ticket_add"), {"subject": "", "body": ""})
    assert missing.status_code == 200 and Ticket.objects.count() == 0
