"""The guarantee (R-ORD-7): a customer claims within GUARANTEE_CLAIM_DAYS of a completed job;
an operator redoes it at no charge with another provider, credits the balance (R-SUP-7) or
rejects it, and the customer is told what was done (R-QC-7)."""

import re
from datetime import time, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from ledger.models import AccountKind, JournalEntry, JournalLine
from ledger.selectors import customer_balance
from ledger.services.wallet import charge_fee
from matching.models import Offer, OfferStatus
from matching.selectors import candidates_for
from orders.models import (
    Channel,
    ClaimStatus,
    GuaranteeClaim,
    Order,
    OrderEvent,
    OrderOption,
    OrderStatus,
)
from orders.services import guarantee
from tests.factories import OrderFactory

from .catalogue_factories import ServiceOptionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _window(settings):
    settings.GUARANTEE_CLAIM_DAYS = 3


@pytest.fixture
def done(customer, provider, service, area):
    return OrderFactory(
        customer=customer,
        provider=provider,
        service_type=service,
        area=area,
        status=OrderStatus.COMPLETED,
        starts_at=timezone.now() - timedelta(hours=5),
        ends_at=timezone.now() - timedelta(hours=3),
        completed_at=timezone.now() - timedelta(hours=3),
        price=Decimal("3700000"),
    )


@pytest.fixture
def claim(done, customer):
    return guarantee.claim_guarantee(order=done, customer=customer, description="Floors sticky")


def freeze(time_machine, at):
    time_machine.move_to(at, tick=False)


def tomorrow():
    return timezone.localdate() + timedelta(days=1)


# --- Claiming -----------------------------------------------------------------------------


@pytest.mark.requirement("R-ORD-7")
def test_a_claim_on_the_last_moment_of_the_window_is_accepted(done, customer, time_machine):
    freeze(time_machine, done.completed_at + timedelta(days=3))
    claim = guarantee.claim_guarantee(order=done, customer=customer, description=" Dusty ")
    assert (claim.order, claim.customer, claim.description, claim.status) == (
        done,
        customer,
        "Dusty",
        ClaimStatus.OPEN,
    )
    assert done.events.get().reason == "Guarantee claimed"


@pytest.mark.requirement("R-ORD-7")
def test_a_claim_after_the_window_is_refused(done, customer, time_machine):
    freeze(time_machine, done.completed_at + timedelta(days=3, seconds=1))
    with pytest.raises(guarantee.ClaimError) as error:
        guarantee.claim_guarantee(order=done, customer=customer, description="Dusty")
    assert error.value.message == "The guarantee can be claimed within 3 days of the job."
    assert (GuaranteeClaim.objects.count(), OrderEvent.objects.count()) == (0, 0)


@pytest.mark.requirement("R-ORD-7")
def test_the_guarantee_is_claimed_once(claim, done, customer):
    with pytest.raises(guarantee.ClaimError) as error:
        guarantee.claim_guarantee(order=done, customer=customer, description="Again")
    assert error.value.message == "You have already claimed the guarantee for this order."
    assert GuaranteeClaim.objects.get() == claim


@pytest.mark.requirement("R-ORD-7")
def test_only_the_orders_customer_may_claim(done, other_customer, client):
    with pytest.raises(guarantee.ClaimError):
        guarantee.claim_guarantee(order=done, customer=other_customer, description="Bad")
    client.force_login(other_customer)
    url = reverse("orders:claim", args=[done.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"description": "Bad"}).status_code == 404
    assert GuaranteeClaim.objects.count() == 0


@pytest.mark.requirement("R-ORD-7")
@pytest.mark.parametrize(
    "status", [OrderStatus.CONFIRMED, OrderStatus.IN_PROGRESS, OrderStatus.CANCELLED]
)
def test_only_a_completed_job_can_be_claimed(customer, provider, status):
    order = OrderFactory(customer=customer, provider=provider, status=status)
    with pytest.raises(guarantee.ClaimError) as error:
        guarantee.claim_guarantee(order=order, customer=customer, description="Bad")
    assert error.value.message == "The guarantee can be claimed only for a completed job."
    assert GuaranteeClaim.objects.count() == 0


@pytest.mark.requirement("R-ORD-7")
def test_the_customer_claims_on_the_order_page_and_sees_the_status(done, customer_client):
    page = customer_client.get(reverse("orders:detail", args=[done.pk])).content.decode()
    assert "Something wrong? Claim the guarantee" in page
    response = customer_client.post(
        reverse("orders:claim", args=[done.pk]), {"description": "The oven was not cleaned"}
    )
    assert response.status_code == 302
    assert GuaranteeClaim.objects.get().description == "The oven was not cleaned"
    page = customer_client.get(reverse("orders:detail", args=[done.pk])).content.decode()
    assert "Something wrong? Claim the guarantee" not in page
    assert "Waiting for a decision" in page


@pytest.mark.requirement("R-ORD-7")
def test_the_claim_link_is_gone_after_the_window(done, customer_client, time_machine):
    freeze(time_machine, done.completed_at + timedelta(days=4))
    page = customer_client.get(reverse("orders:detail", args=[done.pk])).content.decode()
    assert "Claim the guarantee" not in page


# --- Decisions ----------------------------------------------------------------------------


@pytest.mark.requirement("R-ORD-7", "R-QC-7")
def test_redo_creates_a_free_order_that_matching_keeps_from_the_previous_provider(
    claim,
    done,
    customer,
    operator,
    provider,
    other_provider,
    sms_outbox,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        guarantee.decide_claim(
            claim=claim,
            actor=operator,
            decision="redo",
            note="Sorry about that",
            day=tomorrow(),
            start=time(10),
        )
    claim.refresh_from_db()
    redo = claim.redo_order
    assert (claim.status, claim.decided_by, claim.decision_note) == (
        ClaimStatus.REDO,
        operator,
        "Sorry about that",
    )
    assert (redo.customer, redo.service_type, redo.area, redo.address, redo.home_area_sqm) == (
        customer,
        done.service_type,
        done.area,
        done.address,
        done.home_area_sqm,
    )
    assert (redo.price, redo.channel, redo.taken_by, redo.avoid_provider) == (
        Decimal("0"),
        Channel.GUARANTEE,
        operator,
        provider,
    )
    assert redo.duration == done.duration
    # Matching ran on commit: the offer went to the other provider, never the previous one.
    redo.refresh_from_db()
    assert redo.status == OrderStatus.OFFERED
    assert list(Offer.objects.filter(order=redo).values_list("provider", "status")) == [
        (other_provider.pk, OfferStatus.PENDING)
    ]
    assert provider not in candidates_for(redo)
    customer_sms = [m["text"] for m in sms_outbox if m["to"] == str(customer.phone)]
    assert customer_sms == [
        f"Order #{done.pk}: we will redo the work at no charge on "
        f"{tomorrow().isoformat()} 10:00 (order #{redo.pk})."
    ]


@pytest.mark.requirement("R-ORD-7")
def test_a_redo_keeps_the_extras_it_redoes_at_no_charge(done, claim, operator, service):
    fridge = ServiceOptionFactory(service_type=service, code="fridge", name="Inside the fridge")
    OrderOption.objects.create(
        order=done,
        option=fridge,
        name="Inside the fridge",
        price=Decimal("300000"),
        extra_minutes=30,
    )
    claim = guarantee.decide_claim(
        claim=claim, actor=operator, decision="redo", day=tomorrow(), start=time(10)
    )
    redo = claim.redo_order
    assert list(redo.options.values_list("option", "name", "price", "extra_minutes")) == [
        (fridge.pk, "Inside the fridge", Decimal("0"), 30)
    ]
    assert redo.duration == done.duration
    assert redo.get_channel_display() == "Guarantee redo"


@pytest.mark.requirement("R-ORD-7")
def test_a_redo_with_only_the_previous_provider_finds_nobody(
    claim, operator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        guarantee.decide_claim(
            claim=claim, actor=operator, decision="redo", day=tomorrow(), start=time(10)
        )
    redo = Order.objects.get(pk=GuaranteeClaim.objects.get().redo_order_id)
    assert redo.status == OrderStatus.NO_PROVIDER
    assert Offer.objects.filter(order=redo).count() == 0


@pytest.mark.requirement("R-ORD-7", "R-SUP-7", "R-QC-7")
def test_compensation_credits_the_customers_balance(
    claim, done, customer, operator, sms_outbox, django_capture_on_commit_callbacks
):
    charge_fee(
        customer=customer, amount=Decimal("100000"), currency="IRR", memo="Late fee", cause="order"
    )
    with django_capture_on_commit_callbacks(execute=True):
        guarantee.decide_claim(
            claim=claim, actor=operator, decision="compensate", amount=Decimal("500000")
        )
    claim.refresh_from_db()
    assert (claim.status, claim.amount) == (ClaimStatus.COMPENSATED, Decimal("500000"))
    credit = JournalLine.objects.get(account__kind=AccountKind.CUSTOMER_WALLET)
    assert (credit.account.holder, credit.amount, credit.currency) == (customer, 50000000, "IRR")
    entry = credit.entry
    assert (entry.cause, entry.cause_id, entry.created_by, entry.memo) == (
        "order",
        done.pk,
        operator,
        "Guarantee compensation",
    )
    assert entry.lines.get(account__kind=AccountKind.COMPENSATION).amount == -50000000
    assert customer_balance(customer=customer, currency="IRR") == Decimal("400000")
    assert [m["text"] for m in sms_outbox] == [
        f"Order #{done.pk}: 500,000 IRR has been credited to your balance."
    ]


@pytest.mark.requirement("R-SUP-7")
@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (None, "Enter a compensation amount above zero."),
        (Decimal("0"), "Enter a compensation amount above zero."),
        (Decimal("3700000.01"), "The compensation cannot exceed the price of the order."),
    ],
)
def test_compensation_must_be_positive_and_at_most_the_price(
    claim, operator, amount, message, sms_outbox
):
    with pytest.raises(guarantee.ClaimError) as error:
        guarantee.decide_claim(claim=claim, actor=operator, decision="compensate", amount=amount)
    assert error.value.message == message
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.OPEN
    assert JournalEntry.objects.count() == 0
    assert sms_outbox == []


@pytest.mark.requirement("R-ORD-7", "R-QC-7")
def test_reject_needs_a_note_which_the_customer_is_told(
    claim, done, customer, operator, sms_outbox, django_capture_on_commit_callbacks
):
    with pytest.raises(guarantee.ClaimError):
        guarantee.decide_claim(claim=claim, actor=operator, decision="reject", note=" ")
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.OPEN
    with django_capture_on_commit_callbacks(execute=True):
        guarantee.decide_claim(
            claim=claim, actor=operator, decision="reject", note="Photos show a clean floor."
        )
    claim.refresh_from_db()
    assert (claim.status, claim.decision_note) == (
        ClaimStatus.REJECTED,
        "Photos show a clean floor.",
    )
    assert [m["text"] for m in sms_outbox] == [
        f"Order #{done.pk}: your guarantee claim was not accepted. Photos show a clean floor."
    ]


@pytest.mark.requirement("R-ORD-7")
def test_a_claim_is_decided_once_and_only_by_staff(claim, customer, operator):
    with pytest.raises(guarantee.ClaimError):
        guarantee.decide_claim(claim=claim, actor=customer, decision="reject", note="No")
    guarantee.decide_claim(claim=claim, actor=operator, decision="reject", note="No")
    with pytest.raises(guarantee.ClaimError) as error:
        guarantee.decide_claim(
            claim=claim, actor=operator, decision="compensate", amount=Decimal("1000")
        )
    assert error.value.message == "This claim has already been decided."
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.REJECTED
    assert JournalEntry.objects.count() == 0


@pytest.mark.requirement("R-QC-7", "R-I18N-1")
def test_the_decision_is_sent_in_the_customers_language(
    claim, customer, operator, sms_outbox, django_capture_on_commit_callbacks
):
    customer.preferred_language = "ru"
    customer.save(update_fields=["preferred_language"])
    with django_capture_on_commit_callbacks(execute=True):
        guarantee.decide_claim(
            claim=claim, actor=operator, decision="compensate", amount=Decimal("500000")
        )
    assert sms_outbox[0]["to"] == str(customer.phone)
    assert "has been credited" not in sms_outbox[0]["text"]
    assert re.search("[\\u0400-\\u04ff]{4}", sms_outbox[0]["text"])  # rendered in Cyrillic


@pytest.mark.requirement("R-ORD-7", "R-SUP-7")
def test_the_operator_compensates_from_the_admin_with_an_amount(claim, customer, operator, client):
    client.force_login(operator)
    url = reverse("admin:orders_guaranteeclaim_changelist")
    ask = client.post(url, {"action": "compensate", "_selected_action": [claim.pk]})
    assert ask.status_code == 200
    assert "Credit to the customer" in ask.content.decode()
    client.post(
        url,
        {
            "action": "compensate",
            "_selected_action": [claim.pk],
            "apply": "1",
            "amount": "250000",
            "note": "",
        },
    )
    claim.refresh_from_db()
    assert (claim.status, claim.amount) == (ClaimStatus.COMPENSATED, Decimal("250000"))
    assert customer_balance(customer=customer, currency="IRR") == Decimal("250000")


def test_open_claims_are_listed_first_in_the_admin(claim, operator, client, customer, provider):
    older = OrderFactory(
        customer=customer,
        provider=provider,
        status=OrderStatus.COMPLETED,
        completed_at=timezone.now(),
    )
    decided = guarantee.claim_guarantee(order=older, customer=customer, description="x")
    guarantee.decide_claim(claim=decided, actor=operator, decision="reject", note="No")
    client.force_login(operator)
    response = client.get(reverse("admin:orders_guaranteeclaim_changelist"))
    assert [c.pk for c in response.context["cl"].result_list] == [claim.pk, decided.pk]
