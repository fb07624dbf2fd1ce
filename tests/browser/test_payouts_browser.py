"""Earnings and payouts in a real browser (R-PAY-4): a provider sees a completed job's earning on
the dashboard and gives a bank account; an operator builds last month's payout run in the
admin, downloads the bank file and marks it paid; the provider's balance is then zero."""

import csv
import io
from datetime import datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from orders.models import OrderStatus
from payments.models import CommissionRule, CommissionTable, PayoutRun, PayoutRunStatus
from payments.selectors import earnings_balance
from payments.services.earnings import charge_completed_job, publish_commission_table

from ..factories import OperatorFactory, OrderFactory, ProviderFactory
from .test_journey import horizontal_overflow, log_in, record_failures
from .test_vetting_admin import admin_log_in

pytestmark = [pytest.mark.browser, pytest.mark.requirement("R-PAY-4")]

PROVIDER_PHONE = "+989121110601"
OPERATOR_PHONE = "+989121110602"
SHEBA = "IR270170000000100324200001"


def last_month_noon() -> datetime:
    first_of_month = timezone.localdate().replace(day=1)
    return timezone.make_aware(datetime.combine(first_of_month - timedelta(days=10), time(12)))


def test_provider_sees_the_earning_and_an_operator_pays_it_out(
    transactional_db, live_server, new_context, screenshot_dir
):
    operator = OperatorFactory(phone=OPERATOR_PHONE, full_name="Olga Operator")
    provider = ProviderFactory(user__phone=PROVIDER_PHONE, user__full_name="Maryam Provider")
    when = last_month_noon()
    with time_machine.travel(when - timedelta(days=5), tick=False):
        table = CommissionTable.objects.create(number=1, created_by=operator)
        CommissionRule.objects.create(table=table, percent=Decimal("20"))
        publish_commission_table(table=table, actor=operator)
    order = OrderFactory(
        provider=provider,
        status=OrderStatus.COMPLETED,
        price=Decimal("3700000"),
        starts_at=when - timedelta(hours=3),
        ends_at=when - timedelta(hours=1),
        completed_at=when,
    )
    with time_machine.travel(when, tick=False):
        charge_completed_job(order=order)

    # The provider sees the earning on the dashboard and gives a bank account.
    page = new_context(mobile=True).new_page()
    problems = record_failures(page)
    log_in(page, PROVIDER_PHONE)
    page.goto("/provider/")
    card = page.locator("#earnings")
    expect(card).to_contain_text(f"Order #{order.pk}: 2,960,000")
    page.screenshot(path=screenshot_dir / "payouts-01-dashboard.png", full_page=True)
    card.get_by_role("button", name="Earnings, statements and bank account").click()
    expect(page.locator("#earnings-balance")).to_contain_text("2,960,000")
    page.locator("input[name='iban']").fill("IR27 0170 0000 0010 0324 2000 02")
    page.locator("input[name='holder_name']").fill("Maryam Provider")
    page.get_by_role("button", name="Save bank account").click()
    expect(page.locator("#bank-account")).to_contain_text("check digits do not match")
    page.locator("input[name='iban']").fill("IR27 0170 0000 0010 0324 2000 01")
    page.get_by_role("button", name="Save bank account").click()
    expect(page.locator("#bank-account")).to_contain_text(SHEBA)
    assert horizontal_overflow(page) == 0
    page.screenshot(path=screenshot_dir / "payouts-02-earnings.png", full_page=True)
    page.locator("#statements tbody a").nth(1).click()
    expect(page.locator("main")).to_contain_text("3,700,000")
    expect(page.locator("main")).to_contain_text("20%")

    # The operator builds last month's run, downloads the bank file and marks it paid.
    admin = new_context().new_page()
    admin_problems = record_failures(admin)
    admin_log_in(admin, OPERATOR_PHONE)
    admin.goto("/admin/payments/payoutrun/add/")
    admin.get_by_role("button", name="Build the run").click()
    expect(admin.locator("#content")).to_contain_text("Maryam Provider")
    expect(admin.locator("#content")).to_contain_text(SHEBA)
    admin.screenshot(path=screenshot_dir / "payouts-03-run.png", full_page=True)
    run = PayoutRun.objects.get()

    admin.goto("/admin/payments/payoutrun/")
    admin.locator("#result_list tbody tr").first.locator("input.action-select").check()
    admin.locator("select[name='action']").select_option(label="Download the bank file")
    with admin.expect_download() as download:
        admin.get_by_role("button", name="Go").click()
    rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))
    payout = run.payouts.get()
    assert rows[1] == [SHEBA, "Maryam Provider", "2960000.00", "IRR", f"payout-{payout.pk}"]

    admin.goto("/admin/payments/payoutrun/")
    admin.locator("#result_list tbody tr").first.locator("input.action-select").check()
    admin.locator("select[name='action']").select_option(
        label="Mark paid (the bank has sent the transfers)"
    )
    admin.get_by_role("button", name="Go").click()
    expect(admin.locator("ul.messagelist")).to_contain_text("marked paid")
    run.refresh_from_db()
    assert run.status == PayoutRunStatus.PAID

    # The provider's balance is now zero.
    page.goto("/money/earnings/")
    expect(page.locator("#earnings-balance")).to_contain_text("Owed to you now: 0")
    assert earnings_balance(provider=provider, currency="IRR") == 0
    assert problems == [] and admin_problems == []
