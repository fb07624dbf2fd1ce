"""Payout runs (R-PAY-4): one payout per provider owed money at the period's end with a valid
IBAN, others left out with the reason, negative balances carried over; the bank file with every
IBAN checked again; marking paid posts once; a provider is in one unpaid run per period."""

import csv
import io
from datetime import date, datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from ledger.models import AccountKind, Cause, JournalEntry
from ledger.selectors import balance
from ledger.services.posting import Leg, platform, post_entry
from payments.models import (
    Payout,
    PayoutAccount,
    PayoutRun,
    PayoutRunEvent,
    PayoutRunStatus,
    PayoutSkip,
    SkipReason,
)
from payments.selectors import earnings_balance
from payments.services.accounts import earnings_account
from payments.services.payouts import (
    PayoutError,
    bank_file,
    build_payout_run,
    cancel_payout_run,
    mark_run_paid,
)
from tests.factories import CustomerFactory, ProviderFactory

pytestmark = [pytest.mark.django_db, pytest.mark.requirement("R-PAY-4")]

IBAN = "DE89370400440532013000"
SHEBA = "IR270170000000100324200001"
NOVEMBER = {"period_start": date(2026, 11, 1), "period_end": date(2026, 11, 30), "currency": "IRR"}


def at(year, month, day):
    return timezone.make_aware(datetime(year, month, day, 12))


def earn(provider, amount, when, kind=AccountKind.REVENUE):
    with time_machine.travel(when, tick=False):
        post_entry(
            legs=[
                Leg(earnings_account(provider.user, "IRR"), amount),
                Leg(platform(kind, "IRR"), -amount),
            ],
            memo="Job",
            cause=Cause.ADJUSTMENT,
        )


def bank(provider, iban=IBAN, name=None):
    return PayoutAccount.objects.create(
        provider=provider, iban=iban, holder_name=name or provider.user.full_name
    )


def owed(provider):
    return earnings_balance(provider=provider, currency="IRR")


@pytest.fixture
def world(provider, other_provider):
    """Maryam owed 150,000 at the end of November (and 40,000 more in December); Elena owes
    20,000 (a fine larger than her earnings); Reza is owed 90,000 but gave no IBAN."""
    no_iban = ProviderFactory(user__full_name="Reza NoBank")
    bank(provider, SHEBA)
    bank(other_provider)
    earn(provider, 100000, at(2026, 11, 5))
    earn(provider, 50000, at(2026, 11, 28))
    earn(provider, 40000, at(2026, 12, 2))
    earn(other_provider, 10000, at(2026, 11, 3))
    earn(other_provider, -30000, at(2026, 11, 4), kind=AccountKind.FINES)
    earn(no_iban, 90000, at(2026, 11, 6))
    return provider, other_provider, no_iban


@pytest.fixture
def frozen():
    with time_machine.travel(at(2026, 12, 5), tick=True):
        yield


def test_a_run_pays_who_is_owed_and_lists_who_is_left_out(world, operator, frozen):
    provider, other_provider, no_iban = world
    run = build_payout_run(actor=operator, **NOVEMBER)
    assert list(run.payouts.values_list("provider", "amount", "iban")) == [
        (provider.pk, 150000, SHEBA)
    ]
    assert run.total == 150000
    skips = {skip.provider_id: (skip.reason, skip.balance) for skip in run.skips.all()}
    assert skips == {
        other_provider.pk: (SkipReason.CARRIED_OVER, -20000),
        no_iban.pk: (SkipReason.NO_ACCOUNT, 90000),
    }
    assert not JournalEntry.objects.filter(cause=Cause.PAYOUT).exists()  # nothing posted yet
    event = PayoutRunEvent.objects.get(run=run)
    assert (event.to_status, event.actor) == ("draft", operator)


def test_the_bank_file_lists_each_payout_and_marks_the_run_exported(world, operator, frozen):
    run = build_payout_run(actor=operator, **NOVEMBER)
    content = bank_file(run=run, actor=operator)
    rows = list(csv.reader(io.StringIO(content)))
    payout = run.payouts.get()
    assert rows == [
        ["iban", "holder_name", "amount", "currency", "reference"],
        [SHEBA, "Maryam Provider", "1500.00", "IRR", f"payout-{payout.pk}"],
    ]
    run.refresh_from_db()
    assert run.status == PayoutRunStatus.EXPORTED
    assert bank_file(run=run, actor=operator) == content  # downloaded again: the same file


def test_every_iban_is_checked_again_when_the_file_is_built(world, operator, frozen):
    run = build_payout_run(actor=operator, **NOVEMBER)
    Payout.objects.filter(run=run).update(iban="IR270170000000100324200002")
    with pytest.raises(PayoutError, match="is not valid"):
        bank_file(run=run, actor=operator)
    run.refresh_from_db()
    assert run.status == PayoutRunStatus.DRAFT


def test_a_formula_in_a_holder_name_is_not_run_by_a_spreadsheet(provider, operator, frozen):
    bank(provider, name="=HYPERLINK(1)")
    earn(provider, 1000, at(2026, 11, 5))
    run = build_payout_run(actor=operator, **NOVEMBER)
    assert "'=HYPERLINK(1)" in bank_file(run=run, actor=operator)


def test_marking_paid_posts_each_payout_and_empties_the_balance(world, operator, frozen):
    provider = world[0]
    run = build_payout_run(actor=operator, **NOVEMBER)
    bank_file(run=run, actor=operator)
    mark_run_paid(run=run, actor=operator)
    payout = run.payouts.get()
    entry = JournalEntry.objects.get(cause=Cause.PAYOUT)
    assert (entry.cause_id, entry.created_by, payout.entry) == (payout.pk, operator, entry)
    assert owed(provider) == 40000  # December's earnings stay for the next run
    assert balance(platform(AccountKind.PAYOUTS, "IRR")) == 150000
    run.refresh_from_db()
    assert run.status == PayoutRunStatus.PAID
    assert list(run.events.values_list("to_status", flat=True)) == ["draft", "exported", "paid"]


def test_a_run_marked_paid_twice_posts_once(world, operator, frozen):
    run = build_payout_run(actor=operator, **NOVEMBER)
    bank_file(run=run, actor=operator)
    mark_run_paid(run=run, actor=operator)
    with pytest.raises(PayoutError, match="paid cannot become paid"):
        mark_run_paid(run=run, actor=operator)
    assert JournalEntry.objects.filter(cause=Cause.PAYOUT).count() == 1
    assert owed(world[0]) == 40000


def test_a_run_is_paid_only_after_its_bank_file(world, operator, frozen):
    run = build_payout_run(actor=operator, **NOVEMBER)
    with pytest.raises(PayoutError, match="draft cannot become paid"):
        mark_run_paid(run=run, actor=operator)
    assert not JournalEntry.objects.filter(cause=Cause.PAYOUT).exists()


def test_a_negative_balance_is_carried_over_and_nothing_is_posted(world, operator, frozen):
    other_provider = world[1]
    run = build_payout_run(actor=operator, **NOVEMBER)
    bank_file(run=run, actor=operator)
    mark_run_paid(run=run, actor=operator)
    assert owed(other_provider) == -20000
    assert not Payout.objects.filter(provider=other_provider).exists()
    earn(other_provider, 50000, at(2026, 12, 10))
    with time_machine.travel(at(2027, 1, 3), tick=True):
        december = build_payout_run(
            actor=operator,
            period_start=date(2026, 12, 1),
            period_end=date(2026, 12, 31),
            currency="IRR",
        )
    assert dict(december.payouts.values_list("provider", "amount")) == {
        world[0].pk: 40000,
        other_provider.pk: 30000,  # 50,000 earned less the 20,000 carried over
    }


def test_a_provider_is_not_in_two_unpaid_runs_for_overlapping_periods(world, operator, frozen):
    first = build_payout_run(actor=operator, **NOVEMBER)
    second = build_payout_run(
        actor=operator,
        period_start=date(2026, 11, 15),
        period_end=date(2026, 11, 30),
        currency="IRR",
    )
    assert not second.payouts.exists()
    skip = second.skips.get(provider=world[0])
    assert (skip.reason, skip.other_run) == (SkipReason.IN_OTHER_RUN, first)
    cancel_payout_run(run=first, actor=operator, reason="Wrong period")
    third = build_payout_run(actor=operator, **NOVEMBER)
    assert third.payouts.get().amount == 150000


def test_a_second_run_for_a_paid_period_pays_nothing_more(world, operator, frozen):
    run = build_payout_run(actor=operator, **NOVEMBER)
    bank_file(run=run, actor=operator)
    mark_run_paid(run=run, actor=operator)
    again = build_payout_run(actor=operator, **NOVEMBER)
    assert not again.payouts.filter(provider=world[0]).exists()


def test_only_staff_who_may_run_payouts_do(world, frozen):
    clerk = CustomerFactory()
    with pytest.raises(PayoutError, match="may not run payouts"):
        build_payout_run(actor=clerk, **NOVEMBER)
    assert not PayoutRun.objects.exists()


def test_an_invalid_iban_on_file_is_left_out(provider, operator, frozen):
    bank(provider, iban="DE89370400440532013001")
    earn(provider, 1000, at(2026, 11, 5))
    run = build_payout_run(actor=operator, **NOVEMBER)
    assert run.skips.get().reason == SkipReason.INVALID_IBAN
    assert not PayoutSkip.objects.exclude(run=run).exists()


def test_the_admin_builds_exports_and_pays_a_run(
    client, world, operator, frozen, django_assert_max_num_queries
):
    client.force_login(operator)
    response = client.post(
        reverse("admin:payments_payoutrun_add"),
        {"period_start": "2026-11-01", "period_end": "2026-11-30", "currency": "IRR"},
    )
    run = PayoutRun.objects.get()
    assert response.status_code == 302
    changelist = reverse("admin:payments_payoutrun_changelist")
    with django_assert_max_num_queries(15):
        assert client.get(changelist).status_code == 200
    assert client.get(reverse("admin:payments_payoutrun_change", args=[run.pk])).status_code == 200
    response = client.post(
        changelist, {"action": "download_bank_file", "_selected_action": [run.pk]}
    )
    assert response["Content-Type"].startswith("text/csv")
    assert SHEBA in response.content.decode()
    client.post(changelist, {"action": "mark_paid", "_selected_action": [run.pk]})
    assert owed(world[0]) == 40000


def test_the_admin_refuses_a_period_that_has_not_ended(client, operator, frozen):
    client.force_login(operator)
    response = client.post(
        reverse("admin:payments_payoutrun_add"),
        {"period_start": "2026-12-01", "period_end": "2026-12-31", "currency": "IRR"},
    )
    assert response.status_code == 200
    assert "Pay only for a period that has ended." in response.content.decode()
    assert not PayoutRun.objects.exists()
