"""The books (R-PAY-1): balanced, immutable journal entries in minor units; corrections are
reversing entries; balances are sums. The database itself refuses what the services refuse."""

import threading
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, connections, transaction
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from ledger.models import AccountKind, Cause, JournalEntry, JournalLine, LedgerAccount
from ledger.money import from_minor, to_minor
from ledger.selectors import balance, balances, customer_balance, wallet_history
from ledger.services.posting import (
    EntrySpec,
    LedgerError,
    Leg,
    account_for,
    platform,
    post_entries,
    post_entry,
    reverse_entry,
)
from ledger.services.wallet import charge_fee, credit_wallet, spend_wallet, wallet_of
from tests.factories import CustomerFactory, OperatorFactory

pytestmark = [pytest.mark.django_db, pytest.mark.requirement("R-PAY-1")]
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the triggers under test are PostgreSQL's"
)


def wallet_and_compensation(customer, currency="IRR"):
    return wallet_of(customer, currency), platform(AccountKind.COMPENSATION, currency)


def test_minor_units_are_exact():
    assert to_minor(Decimal("3750000.50"), "IRR") == 375000050
    assert from_minor(375000050, "IRR") == Decimal("3750000.50")
    with pytest.raises(ValueError):
        to_minor(Decimal("1.005"), "RUB")


def test_a_balanced_entry_is_posted_with_its_cause_and_author(customer, operator):
    wallet, compensation = wallet_and_compensation(customer)
    entry = post_entry(
        legs=[Leg(wallet, 5000), Leg(compensation, -5000)],
        memo="Goodwill",
        cause=Cause.TICKET,
        cause_id=42,
        actor=operator,
    )
    assert (entry.cause, entry.cause_id, entry.created_by, entry.memo) == (
        "ticket",
        42,
        operator,
        "Goodwill",
    )
    assert sorted(entry.lines.values_list("amount", "currency")) == [
        (-5000, "IRR"),
        (5000, "IRR"),
    ]
    assert (balance(wallet), balance(compensation)) == (5000, -5000)


@pytest.mark.parametrize(
    "amounts, message",
    [
        ((5000, -4000), "The lines of a journal entry must add up to zero."),
        ((5000,), "A journal entry needs at least two lines."),
        ((0, 0), "A journal line cannot be zero."),
    ],
)
def test_the_service_refuses_an_unbalanced_entry_and_saves_nothing(customer, amounts, message):
    accounts = wallet_and_compensation(customer)
    with pytest.raises(LedgerError) as error:
        post_entry(
            legs=[Leg(account, amount) for account, amount in zip(accounts, amounts, strict=False)],
            memo="x",
            cause=Cause.ADJUSTMENT,
        )
    assert error.value.message == message
    assert not JournalEntry.objects.exists()


def test_lines_in_two_currencies_balance_per_currency(customer):
    irr_wallet, irr_comp = wallet_and_compensation(customer, "IRR")
    rub_wallet, rub_comp = wallet_and_compensation(customer, "RUB")
    with pytest.raises(LedgerError):
        post_entry(
            legs=[Leg(irr_wallet, 100), Leg(rub_comp, -100)], memo="x", cause=Cause.ADJUSTMENT
        )
    post_entry(
        legs=[Leg(irr_wallet, 100), Leg(irr_comp, -100), Leg(rub_wallet, 7), Leg(rub_comp, -7)],
        memo="x",
        cause=Cause.ADJUSTMENT,
    )
    assert balances() == {irr_wallet.pk: 100, irr_comp.pk: -100, rub_wallet.pk: 7, rub_comp.pk: -7}


def _check_deferred_constraints():
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


@postgresql_only
def test_the_database_refuses_an_unbalanced_entry(customer):
    wallet, compensation = wallet_and_compensation(customer)
    with pytest.raises(IntegrityError, match="does not balance"), transaction.atomic():
        entry = JournalEntry.objects.create(memo="x", cause=Cause.ADJUSTMENT)
        JournalLine.objects.bulk_create(
            [
                JournalLine(entry=entry, account=wallet, amount=5000, currency="IRR"),
                JournalLine(entry=entry, account=compensation, amount=-4000, currency="IRR"),
            ]
        )
        _check_deferred_constraints()
    assert not JournalEntry.objects.exists()


@postgresql_only
def test_the_database_refuses_an_entry_without_lines():
    with pytest.raises(IntegrityError, match="fewer than two lines"), transaction.atomic():
        JournalEntry.objects.create(memo="x", cause=Cause.ADJUSTMENT)
        _check_deferred_constraints()


@postgresql_only
def test_lines_written_one_by_one_are_checked_when_the_transaction_ends(customer):
    wallet, compensation = wallet_and_compensation(customer)
    with transaction.atomic():
        entry = JournalEntry.objects.create(memo="x", cause=Cause.ADJUSTMENT)
        JournalLine.objects.create(entry=entry, account=wallet, amount=5000, currency="IRR")
        JournalLine.objects.create(entry=entry, account=compensation, amount=-5000, currency="IRR")
        _check_deferred_constraints()  # balanced by now: nothing raised
    assert balance(wallet) == 5000


def test_entries_and_lines_can_never_be_changed_or_deleted(customer):
    entry = credit_wallet(
        customer=customer, amount=Decimal("100"), currency="IRR", memo="x", cause=Cause.ORDER
    )
    line = entry.lines.first()
    for change in (
        lambda: JournalLine.objects.filter(pk=line.pk).update(amount=1),
        lambda: JournalLine.objects.filter(pk=line.pk).delete(),
        lambda: JournalEntry.objects.filter(pk=entry.pk).update(memo="edited"),
        # (the ORM already refuses to delete an entry with lines; the database refuses anyway)
        lambda: connection.cursor().execute(
            "DELETE FROM ledger_journalentry WHERE id = %s", [entry.pk]
        ),
    ):
        with pytest.raises(IntegrityError, match="never changed"), transaction.atomic():
            change()
    assert JournalLine.objects.get(pk=line.pk).amount == line.amount


def test_a_correction_is_a_reversing_entry_and_only_one(customer, operator):
    entry = credit_wallet(
        customer=customer, amount=Decimal("250"), currency="IRR", memo="x", cause=Cause.ORDER
    )
    reversal = reverse_entry(entry=entry, actor=operator, reason="Credited twice by mistake")
    assert (reversal.reverses, reversal.cause, reversal.created_by) == (
        entry,
        "correction",
        operator,
    )
    assert customer_balance(customer=customer, currency="IRR") == Decimal("0")
    assert JournalLine.objects.count() == 4
    with pytest.raises(LedgerError, match="already been reversed"):
        reverse_entry(entry=entry, actor=operator, reason="again")
    with pytest.raises(LedgerError, match="not reversed"):
        reverse_entry(entry=reversal, actor=operator, reason="undo the undo")
    with pytest.raises(LedgerError, match="Say why"):
        reverse_entry(
            entry=credit_wallet(
                customer=customer, amount=Decimal("1"), currency="IRR", memo="x", cause=Cause.ORDER
            ),
            actor=operator,
            reason=" ",
        )


def test_a_movement_posted_twice_with_one_key_is_posted_once(customer):
    for _ in range(2):
        credit_wallet(
            customer=customer,
            amount=Decimal("10"),
            currency="IRR",
            memo="x",
            cause=Cause.PAYMENT,
            idempotency_key="payment-7",
        )
    assert JournalEntry.objects.count() == 1
    assert customer_balance(customer=customer, currency="IRR") == Decimal("10")


@pytest.mark.requirement("R-PAY-3")
def test_a_fee_is_owed_and_the_wallet_never_goes_below_zero(customer):
    charge_fee(customer=customer, amount=Decimal("300"), currency="IRR", memo="Late", cause="order")
    credit_wallet(customer=customer, amount=Decimal("500"), currency="IRR", memo="x", cause="order")
    assert balance(wallet_of(customer, "IRR")) == 50000
    assert customer_balance(customer=customer, currency="IRR") == Decimal("200")
    with pytest.raises(LedgerError, match="holds less"):
        spend_wallet(
            customer=customer, amount=Decimal("500.01"), currency="IRR", memo="x", cause="order"
        )
    spend_wallet(customer=customer, amount=Decimal("500"), currency="IRR", memo="x", cause="order")
    assert balance(wallet_of(customer, "IRR")) == 0
    assert [line.amount for line in wallet_history(customer=customer)] == [-50000, 50000, -30000]


def test_a_batch_posts_many_entries_and_refuses_all_if_one_is_wrong(customer):
    wallet, compensation = wallet_and_compensation(customer)
    good = EntrySpec([Leg(wallet, 1), Leg(compensation, -1)], "x", Cause.ADJUSTMENT)
    bad = EntrySpec([Leg(wallet, 1), Leg(compensation, -2)], "x", Cause.ADJUSTMENT)
    with pytest.raises(LedgerError):
        post_entries([good, bad])
    assert not JournalEntry.objects.exists()
    post_entries([good] * 50)
    assert (JournalEntry.objects.count(), balance(wallet)) == (50, 50)


def test_accounts_are_opened_once_per_holder_kind_and_currency(customer):
    assert account_for(AccountKind.CUSTOMER_WALLET, currency="irr", holder=customer) == wallet_of(
        customer, "IRR"
    )
    assert LedgerAccount.objects.count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerAccount.objects.create(kind=AccountKind.REVENUE, currency="IRR", holder=customer)


def _concurrently(work, times=2):
    barrier = threading.Barrier(times)
    outcomes = []

    def run():
        try:
            barrier.wait(timeout=30)
            outcomes.append(work())
        except Exception as error:
            outcomes.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@pytest.mark.django_db(transaction=True)
@pytest.mark.requirement("R-PAY-3")
def test_two_spends_at_once_cannot_overdraw_the_wallet():
    customer = CustomerFactory()
    credit_wallet(customer=customer, amount=Decimal("100"), currency="IRR", memo="x", cause="order")
    outcomes = _concurrently(
        lambda: spend_wallet(
            customer=customer, amount=Decimal("80"), currency="IRR", memo="x", cause="order"
        )
    )
    assert sorted(type(outcome).__name__ for outcome in outcomes) == ["JournalEntry", "LedgerError"]
    assert balance(wallet_of(customer, "IRR")) == 2000


@pytest.mark.django_db(transaction=True)
def test_the_same_movement_posted_at_once_twice_is_posted_once():
    customer = CustomerFactory()
    wallet_of(customer, "IRR")
    platform(AccountKind.COMPENSATION, "IRR")
    outcomes = _concurrently(
        lambda: credit_wallet(
            customer=customer,
            amount=Decimal("10"),
            currency="IRR",
            memo="x",
            cause="payment",
            idempotency_key="callback-1",
        ),
        times=4,
    )
    assert {outcome.pk for outcome in outcomes} == {JournalEntry.objects.get().pk}


@pytest.mark.django_db(transaction=True)
def test_todays_balance_entries_move_into_the_ledger():
    before = [
        ("orders", "0013_personal_data_rows_encrypted"),
        ("ledger", "0002_the_database_guards_the_books"),
    ]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    User = old.get_model("accounts", "User")
    customer = User.objects.create(phone="+989120000077", full_name="Old Balance")
    operator = User.objects.create(phone="+989120000078", full_name="Old Operator", is_staff=True)
    BalanceEntry = old.get_model("orders", "BalanceEntry")
    credit = BalanceEntry.objects.create(
        customer=customer,
        amount=Decimal("500000"),
        currency="IRR",
        reason="Guarantee compensation",
        created_by=operator,
    )
    BalanceEntry.objects.create(
        customer=customer,
        amount=Decimal("-120000.50"),
        currency="IRR",
        reason="Late cancellation fee",
    )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    entries = JournalEntry.objects.order_by("id")
    assert [(e.memo, e.cause, e.created_by_id) for e in entries] == [
        ("Guarantee compensation", "carried_over", operator.pk),
        ("Late cancellation fee", "carried_over", None),
    ]
    assert entries[0].created_at == credit.created_at
    assert customer_balance(customer=customer.pk, currency="IRR") == Decimal("379999.50")
    kinds = {
        line.account.kind: line.amount for line in JournalLine.objects.select_related("account")
    }
    assert kinds == {
        "customer_wallet": 50000000,
        "compensation": -50000000,
        "customer_due": -12000050,
        "revenue": 12000050,
    }


def test_the_books_are_read_only_in_the_admin_and_reversed_with_a_reason(customer, client):
    from django.contrib.auth.models import Permission

    entry = credit_wallet(
        customer=customer, amount=Decimal("100"), currency="IRR", memo="x", cause=Cause.ORDER
    )
    accountant = OperatorFactory(is_superuser=False)
    accountant.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["view_journalentry", "view_ledgeraccount", "reverse_journalentry"]
        )
    )
    client.force_login(accountant)
    accounts = client.get(
        reverse("admin:ledger_ledgeraccount_changelist"), {"q": "0" + str(customer.phone)[3:]}
    )
    assert "100.00 IRR" in accounts.content.decode()
    change = reverse("admin:ledger_journalentry_change", args=[entry.pk])
    assert client.get(change).status_code == 200
    client.post(change, {"memo": "edited"})
    entry.refresh_from_db()
    assert entry.memo == "x"
    url = reverse("admin:ledger_journalentry_changelist")
    client.post(
        url,
        {
            "action": "reverse_entries",
            "_selected_action": [entry.pk],
            "apply": "1",
            "reason": "Wrong customer",
        },
    )
    assert JournalEntry.objects.get(reverses=entry).memo == "Wrong customer"
    assert customer_balance(customer=customer, currency="IRR") == Decimal("0")
