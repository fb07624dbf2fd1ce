"""Providers' earnings (R-PAY-4): the versioned commission table, charging a completed job once,
the provider's bank account, and monthly statements (page and PDF) that agree with the ledger."""

import io
from datetime import date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from ledger.models import AccountKind, Cause, JournalEntry
from ledger.selectors import balance
from ledger.services.posting import Leg, platform, post_entry
from orders.models import Order, OrderStatus
from orders.signals import order_completed
from payments.models import (
    CommissionLocked,
    CommissionRule,
    CommissionStatus,
    CommissionTable,
    EarningRecord,
    PayoutAccount,
)
from payments.selectors import (
    MovementKind,
    Period,
    earnings_balance,
    statement_for,
    statement_months,
)
from payments.services.accounts import earnings_account, job_charge_key, orders_account
from payments.services.earnings import (
    BankAccountError,
    CommissionError,
    charge_completed_job,
    clean_iban,
    commission_for,
    copy_commission_table,
    publish_commission_table,
    save_payout_account,
    split_price,
)
from payments.statements import render_statement_pdf
from providers.models import ProviderTier
from tests.factories import OrderFactory, ServiceTypeFactory, local_datetime
from tests.orders.contract_factories import sign_both
from tests.orders.execution_helpers import check_in_and_start, complete

pytestmark = [pytest.mark.django_db, pytest.mark.requirement("R-PAY-4")]

VALID_IBAN = "DE89 3704 0044 0532 0130 00"
IRANIAN_IBAN = "IR270170000000100324200001"  # a Sheba number: not in SWIFT's registry


def publish(rules, *, operator, valid_from=None):
    """A published commission version with `rules`: [(service or None, tier or "", percent)]."""
    top = CommissionTable.objects.count()
    table = CommissionTable.objects.create(
        number=top + 1, valid_from=valid_from or timezone.now(), created_by=operator
    )
    for service, tier, percent in rules:
        CommissionRule.objects.create(
            table=table, service_type=service, tier=tier, percent=Decimal(percent)
        )
    return publish_commission_table(table=table, actor=operator)


def completed_order(provider, *, price="3700000", customer=None, **fields):
    extra = {"customer": customer} if customer else {}
    return OrderFactory(
        provider=provider,
        status=OrderStatus.COMPLETED,
        price=Decimal(price),
        starts_at=local_datetime(-1, 10),
        ends_at=local_datetime(-1, 12),
        completed_at=timezone.now(),
        **extra,
        **fields,
    )


def earned(provider, currency="IRR"):
    return earnings_balance(provider=provider, currency=currency)


# --- Commission -----------------------------------------------------------------------------


def test_the_most_specific_rule_wins(operator):
    cleaning, ironing = ServiceTypeFactory(), ServiceTypeFactory(code="ironing", name="Ironing")
    publish(
        [
            (None, "", "20"),
            (None, ProviderTier.EXPERT, "15"),
            (cleaning, "", "18"),
            (cleaning, ProviderTier.EXPERT, "12.5"),
        ],
        operator=operator,
    )

    def percent(service, tier):
        return commission_for(service_type_id=service.pk, tier=tier).percent

    assert percent(cleaning, ProviderTier.EXPERT) == Decimal("12.5")  # service and tier
    assert percent(cleaning, ProviderTier.STANDARD) == Decimal("18")  # service
    assert percent(ironing, ProviderTier.EXPERT) == Decimal("15")  # tier
    assert percent(ironing, ProviderTier.STANDARD) == Decimal("20")  # the default


def test_a_published_version_cannot_change(operator):
    table = publish([(None, "", "20")], operator=operator)
    rule = table.rules.get()
    rule.percent = Decimal("5")
    with pytest.raises(CommissionLocked):
        rule.save()
    with pytest.raises(CommissionLocked):
        CommissionRule.objects.create(table=table, tier=ProviderTier.EXPERT, percent=1)
    table.note = "changed"
    with pytest.raises(CommissionLocked):
        table.save()
    with pytest.raises(CommissionLocked):
        table.delete()
    assert CommissionRule.objects.get().percent == Decimal("20")


def test_publishing_needs_a_default_rule_and_the_permission(operator, customer):
    table = CommissionTable.objects.create(number=1)
    CommissionRule.objects.create(table=table, tier=ProviderTier.EXPERT, percent=10)
    with pytest.raises(CommissionError, match="Add a default rule"):
        publish_commission_table(table=table, actor=operator)
    with pytest.raises(CommissionError, match="may not publish"):
        publish_commission_table(table=table, actor=customer)
    table.refresh_from_db()
    assert table.status == CommissionStatus.DRAFT


def test_a_percent_outside_0_to_100_is_refused(operator):
    table = CommissionTable.objects.create(number=1)
    rule = CommissionRule(table=table, percent=Decimal("120"))
    with pytest.raises(Exception, match="less than or equal to 100"):
        rule.full_clean()


def test_a_copy_is_a_draft_with_the_same_rules(operator):
    table = publish([(None, "", "20"), (None, ProviderTier.EXPERT, "15")], operator=operator)
    draft = copy_commission_table(source=table, actor=operator)
    assert (draft.number, draft.status, draft.copied_from) == (2, "draft", table)
    assert sorted(draft.rules.values_list("tier", "percent")) == [
        ("", Decimal("20")),
        ("expert", Decimal("15")),
    ]


def test_the_share_is_rounded_in_the_providers_favour():
    assert split_price(1001, Decimal("20")) == (200, 801)  # 200.2 of commission -> 200
    assert split_price(999, Decimal("12.5")) == (124, 875)
    assert split_price(5000, Decimal("0")) == (0, 5000)
    assert split_price(5000, Decimal("100")) == (5000, 0)


# --- Charging a completed job ---------------------------------------------------------------


def test_completing_a_job_charges_the_customer_and_shares_it_out(customer, provider, operator):
    publish([(None, "", "20")], operator=operator)
    order = OrderFactory(
        customer=customer,
        provider=provider,
        status=OrderStatus.CONFIRMED,
        starts_at=local_datetime(0, 0, 5),
        ends_at=local_datetime(0, 2, 5),
        price=Decimal("3700000"),
    )
    sign_both(order)
    check_in_and_start(order)
    complete(order)

    entry = JournalEntry.objects.get(idempotency_key=job_charge_key(order.pk))
    assert (entry.cause, entry.cause_id) == (Cause.ORDER, order.pk)
    assert balance(orders_account(customer, "IRR")) == -370000000
    assert balance(earnings_account(provider.user, "IRR")) == 296000000
    assert balance(platform(AccountKind.REVENUE, "IRR")) == 74000000
    record = EarningRecord.objects.get(order=order)
    assert (record.percent, record.price, record.commission, record.share) == (
        Decimal("20.00"),
        370000000,
        74000000,
        296000000,
    )
    assert record.commission_table.number == 1


def test_charging_twice_posts_once(provider, operator):
    publish([(None, "", "10")], operator=operator)
    order = completed_order(provider)
    with transaction.atomic():
        order_completed.send(sender=Order, order=order)
        order_completed.send(sender=Order, order=order)
    first = charge_completed_job(order=order)
    assert JournalEntry.objects.filter(cause=Cause.ORDER, cause_id=order.pk).count() == 1
    assert EarningRecord.objects.count() == 1
    assert first.share == 333000000
    assert earned(provider) == 333000000


def test_a_free_job_posts_nothing(provider, operator):
    publish([(None, "", "10")], operator=operator)
    order = completed_order(provider, price="0")
    assert charge_completed_job(order=order) is None
    assert not JournalEntry.objects.exists()


def test_no_commission_leg_at_zero_percent(provider, operator):
    publish([(None, "", "0")], operator=operator)
    order = completed_order(provider, price="1000")
    charge_completed_job(order=order)
    entry = JournalEntry.objects.get()
    assert sorted(entry.lines.values_list("account__kind", "amount")) == [
        (AccountKind.CUSTOMER_ORDERS, -100000),
        (AccountKind.PROVIDER_EARNINGS, 100000),
    ]


def test_a_job_completed_under_v1_keeps_v1s_share(provider, operator):
    publish([(None, "", "20")], operator=operator)
    first = completed_order(provider, price="1000")
    charge_completed_job(order=first)
    v1 = CommissionTable.objects.get(number=1)
    draft = copy_commission_table(source=v1, actor=operator)
    draft.rules.update(percent=Decimal("30"))
    publish_commission_table(table=draft, actor=operator)

    second = completed_order(provider, price="1000")
    charge_completed_job(order=second)
    charge_completed_job(order=first)  # again: nothing changes

    shares = dict(EarningRecord.objects.values_list("order_id", "share"))
    assert shares == {first.pk: 80000, second.pk: 70000}
    tables = dict(EarningRecord.objects.values_list("order_id", "commission_table__number"))
    assert tables == {first.pk: 1, second.pk: 2}
    assert earned(provider) == 150000


# --- The bank account -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "iban, message",
    [
        ("DE89 3704 0044 0532 0130 01", "check digits do not match"),
        ("DE51 3704 0044 0532 0130 0", "wrong number of characters"),  # checksum right
        ("IR27 0170 0000 0010 0324 2000 02", "check digits do not match"),
        ("hello", "not a valid IBAN"),
        ("", "Enter your IBAN"),
    ],
)
def test_an_iban_with_a_wrong_checksum_or_shape_is_refused(provider, iban, message):
    with pytest.raises(BankAccountError, match=message):
        save_payout_account(provider=provider, iban=iban, holder_name="Maryam Provider")
    assert not PayoutAccount.objects.exists()


def test_a_valid_iban_is_kept_compact(provider):
    account = save_payout_account(provider=provider, iban=VALID_IBAN, holder_name=" Maryam  P ")
    assert (account.iban, account.holder_name) == ("DE89370400440532013000", "Maryam P")
    assert clean_iban(IRANIAN_IBAN) == IRANIAN_IBAN


def test_the_provider_saves_the_bank_account_on_the_earnings_page(client, provider):
    client.force_login(provider.user)
    url = reverse("payments:earnings")
    response = client.post(url, {"iban": "DE89370400440532013001", "holder_name": "Maryam"})
    assert response.status_code == 200
    assert "check digits do not match" in response.content.decode()
    assert not PayoutAccount.objects.exists()
    response = client.post(url, {"iban": VALID_IBAN, "holder_name": "Maryam"})
    assert response.status_code == 302
    assert PayoutAccount.objects.get(provider=provider).iban == "DE89370400440532013000"


def test_the_iban_error_is_translated(client, provider):
    provider.user.preferred_language = "fa"
    client.force_login(provider.user)
    response = client.post(
        reverse("payments:earnings"),
        {"iban": "DE89370400440532013001", "holder_name": "Maryam"},
        HTTP_ACCEPT_LANGUAGE="ru",
    )
    assert response.status_code == 200  # the refusal is shown on the form, in the language
    assert response.context["form"].errors["iban"]


# --- Statements -----------------------------------------------------------------------------


def at(year, month, day):
    return timezone.make_aware(datetime(year, month, day, 12))


def post_to_earnings(provider, amount, kind, *, cause=Cause.KPI_PERIOD, memo="Adjustment"):
    return post_entry(
        legs=[
            Leg(earnings_account(provider.user, "IRR"), amount),
            Leg(platform(kind, "IRR"), -amount),
        ],
        memo=memo,
        cause=cause,
    )


@pytest.fixture
def november(provider, operator):
    """October: one job (1,000, share 800); November: a job (2,005), a bonus (500), a fine
    (300), a clawback (200) and a payout (800). IRR has two minor digits in the ledger."""
    with time_machine.travel(at(2026, 10, 1), tick=False):
        publish([(None, "", "20")], operator=operator)
    with time_machine.travel(at(2026, 10, 20), tick=False):
        charge_completed_job(order=completed_order(provider, price="1000"))
    with time_machine.travel(at(2026, 11, 3), tick=False):
        charge_completed_job(order=completed_order(provider, price="2005"))
    with time_machine.travel(at(2026, 11, 10), tick=False):
        post_to_earnings(provider, 50000, AccountKind.BONUSES, memo="KPI bonus")
    with time_machine.travel(at(2026, 11, 12), tick=False):
        post_to_earnings(provider, -30000, AccountKind.FINES, memo="Fine")
    with time_machine.travel(at(2026, 11, 15), tick=False):
        post_to_earnings(provider, -20000, AccountKind.REFUNDS, cause=Cause.TICKET, memo="Refund")
    with time_machine.travel(at(2026, 11, 20), tick=False):
        post_to_earnings(provider, -80000, AccountKind.PAYOUTS, cause=Cause.PAYOUT, memo="Payout")
    return Period.month(2026, 11)


def test_a_statement_shows_opening_movements_and_closing(provider, november):
    statement = statement_for(provider=provider, period=november, currency="IRR")
    assert statement.opening == 80000
    assert [(m.kind, m.amount) for m in statement.movements] == [
        (MovementKind.JOB, 160400),  # 2,005.00 less 20 % (401.00)
        (MovementKind.BONUS, 50000),
        (MovementKind.FINE, -30000),
        (MovementKind.CLAWBACK, -20000),
        (MovementKind.PAYOUT, -80000),
    ]
    job = statement.jobs[0].earning
    assert (job.price, job.percent, job.commission, job.share) == (200500, 20, 40100, 160400)
    assert statement.closing == 160400
    assert statement.totals[MovementKind.JOB] == 160400


def test_statement_totals_equal_the_ledger_balances(provider, november):
    statement = statement_for(provider=provider, period=november, currency="IRR")
    december = Period.month(2026, 12)
    assert statement.closing == earnings_balance(
        provider=provider, currency="IRR", before=december.starts_at
    )
    assert statement.closing == balance(earnings_account(provider.user, "IRR"))
    with time_machine.travel(at(2027, 1, 5), tick=False):
        months = statement_months(provider=provider, currency="IRR")
    closing = {m.period.key: m.closing for m in months}
    assert closing == {"2027-01": 160400, "2026-11": 160400, "2026-10": 80000}
    assert [m.period.key for m in months] == ["2027-01", "2026-11", "2026-10"]


def test_a_negative_balance_is_carried_over(provider, november):
    with time_machine.travel(at(2026, 12, 2), tick=False):
        post_to_earnings(provider, -500000, AccountKind.FINES, memo="Fine")
    december = statement_for(provider=provider, period=Period.month(2026, 12), currency="IRR")
    january = statement_for(provider=provider, period=Period.month(2027, 1), currency="IRR")
    assert (december.opening, december.closing) == (160400, -339600)
    assert (january.opening, january.closing) == (-339600, -339600)
    assert earned(provider) == -339600


def test_the_statement_page_and_the_months(
    client, provider, november, django_assert_max_num_queries
):
    client.force_login(provider.user)
    with time_machine.travel(at(2026, 12, 5), tick=True):
        with django_assert_max_num_queries(12):
            response = client.get(reverse("payments:earnings"))
        assert response.status_code == 200
        assert [m.period.key for m in response.context["months"]] == [
            "2026-12",
            "2026-11",
            "2026-10",
        ]
        with django_assert_max_num_queries(12):
            response = client.get(reverse("payments:earnings_statement") + "?month=2026-11")
    page = response.content.decode()
    assert response.status_code == 200
    for shown in ("2,005", "1,604", "20%", "Bonus", "Fine", "Clawback", "Payout", "800"):
        assert shown in page, shown


def test_the_statement_pdf_names_the_provider_and_the_amounts(client, provider, november):
    client.force_login(provider.user)
    response = client.get(reverse("payments:earnings_statement_pdf") + "?month=2026-11")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Maryam Provider" in text
    for amount in ("2,005", "1,604", "401", "500", "-300", "-200", "-800"):
        assert amount in text, amount


def test_the_pdf_is_in_the_providers_language(provider, november):
    provider.user.preferred_language = "fa"
    provider.user.save(update_fields=["preferred_language"])
    statement = statement_for(provider=provider, period=november, currency="IRR")
    pdf = render_statement_pdf(statement)
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Maryam Provider" in text
    assert len(pdf) > 10_000  # the Vazirmatn glyphs are embedded


def test_staff_open_any_providers_statement_from_the_admin(client, operator, provider, november):
    client.force_login(operator)
    url = reverse("admin:payments_earningrecord_statement", args=[provider.pk])
    response = client.get(url + "?month=2026-11")
    assert response.status_code == 200
    assert "Maryam Provider" in response.content.decode()
    response = client.get(url + "?month=2026-11&pdf=1")
    assert response["Content-Type"] == "application/pdf"


def test_another_provider_sees_only_their_own_earnings(client, provider, other_provider, november):
    client.force_login(other_provider.user)
    response = client.get(reverse("payments:earnings_statement") + "?month=2026-11")
    assert response.context["statement"].movements == []


def test_the_dashboard_shows_the_earnings(client, provider, operator):
    publish([(None, "", "20")], operator=operator)
    order = completed_order(provider, price="1000")
    charge_completed_job(order=order)
    client.force_login(provider.user)
    page = client.get(reverse("matching:dashboard")).content.decode()
    assert f"Order #{order.pk}: 800" in page
    assert reverse("payments:earnings") in page


def test_month_periods():
    assert Period.month(2026, 12) == Period(date(2026, 12, 1), date(2026, 12, 31))
    assert Period.month(2028, 2).last == date(2028, 2, 29)
    assert Period.parse_month("2026-11").key == "2026-11"
    assert Period.parse_month("nonsense").key == timezone.localdate().strftime("%Y-%m")
