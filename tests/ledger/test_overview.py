"""The managers' money overview (R-PAY-1, R-PAY-4): takings, commission, refunds and payouts per
day and month, read from the books; only staff who may read the books open it."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from accounts.groups import sync_staff_groups
from accounts.models import Role, StaffGroup
from ledger.models import AccountKind, Cause
from ledger.money import to_minor
from ledger.reports import DAY, MONTH, Figures, money_overview
from ledger.services.posting import Leg, account_for, platform, post_entry, reverse_entry
from ledger.views.overview import CHART_HEIGHT
from tests.factories import CustomerFactory, ProviderFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.requirement("R-PAY-1")]

URL = reverse("ledger:overview")
TEHRAN = ZoneInfo("Asia/Tehran")


def irr(amount: int) -> int:
    return to_minor(Decimal(amount), "IRR")


def at(year, month, day, hour, minute=0):
    return time_machine.travel(datetime(year, month, day, hour, minute, tzinfo=TEHRAN), tick=False)


def staff_user(group: str | None = StaffGroup.SUPPORT):
    sync_staff_groups()
    user = UserFactory(role=Role.OPERATOR, is_staff=True)
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


def post(*legs, cause=Cause.PAYMENT):
    legs = [Leg(account, amount) for account, amount in legs]
    return post_entry(legs=legs, memo="x", cause=cause)


@pytest.fixture
def books(settings):
    """Two days in March (the first just after local midnight, still the 9th in UTC) and one in
    April, posted as payments, earnings and payouts post them."""
    settings.TIME_ZONE = "Asia/Tehran"
    settings.CURRENCY = "IRR"
    customer = CustomerFactory()
    provider = ProviderFactory().user

    def held(kind, holder):
        return account_for(kind, currency="IRR", holder=holder)

    wallet = held(AccountKind.CUSTOMER_WALLET, customer)
    orders = held(AccountKind.CUSTOMER_ORDERS, customer)
    due = held(AccountKind.CUSTOMER_DUE, customer)
    earnings = held(AccountKind.PROVIDER_EARNINGS, provider)
    clearing = platform(AccountKind.GATEWAY_CLEARING, "IRR")
    revenue = platform(AccountKind.REVENUE, "IRR")
    refunds = platform(AccountKind.REFUNDS, "IRR")
    payouts = platform(AccountKind.PAYOUTS, "IRR")
    compensation = platform(AccountKind.COMPENSATION, "IRR")

    with at(2025, 3, 10, 0, 30):
        post((clearing, -irr(1_000_000)), (orders, irr(1_000_000)))  # paid by card
        post((compensation, -irr(200_000)), (wallet, irr(200_000)), cause=Cause.ORDER)
        post((wallet, -irr(200_000)), (orders, irr(200_000)))  # paid from the wallet
    with at(2025, 3, 10, 14):
        # The job is done and charged: 20% commission.
        post(
            (orders, -irr(1_200_000)),
            (earnings, irr(960_000)),
            (revenue, irr(240_000)),
            cause=Cause.ORDER,
        )
        post((refunds, -irr(100_000)), (clearing, irr(100_000)))  # to the card, after the charge
    with at(2025, 3, 11, 23, 50):
        post((due, -irr(50_000)), (revenue, irr(50_000)), cause=Cause.ORDER)  # late fee
        post((clearing, -irr(300_000)), (orders, irr(300_000)))
        post((orders, -irr(120_000)), (wallet, irr(120_000)))  # to the wallet, before a charge
    with at(2025, 4, 2, 10):
        post((earnings, -irr(960_000)), (payouts, irr(960_000)), cause=Cause.PAYOUT)
    return {"clearing": clearing, "orders": orders}


MARCH_10 = Figures(
    takings=irr(1_000_000),
    commission=irr(240_000),
    refunds_to_cards=irr(100_000),
    refunds_of_charged_jobs=irr(100_000),
    compensation=irr(200_000),
)
MARCH_11 = Figures(takings=irr(300_000), commission=irr(50_000), refunds_to_wallets=irr(120_000))
APRIL_2 = Figures(payouts=irr(960_000))
TOTALS = Figures(
    takings=irr(1_300_000),
    commission=irr(290_000),
    refunds_to_cards=irr(100_000),
    refunds_to_wallets=irr(120_000),
    refunds_of_charged_jobs=irr(100_000),
    payouts=irr(960_000),
    compensation=irr(200_000),
)


def test_the_figures_of_each_local_day(books):
    overview = money_overview(
        start=date(2025, 3, 9), end=date(2025, 4, 2), currency="IRR", period=DAY
    )
    by_day = {row.start: row.figures for row in overview.rows}
    assert len(by_day) == 25  # every day of the range, oldest first
    assert overview.rows[0].start == date(2025, 3, 9)
    assert by_day[date(2025, 3, 9)] == Figures()  # 00:30 in Tehran is still the 9th in UTC
    assert by_day[date(2025, 3, 10)] == MARCH_10
    assert by_day[date(2025, 3, 11)] == MARCH_11
    assert by_day[date(2025, 4, 2)] == APRIL_2
    assert all(
        figures.is_empty
        for day, figures in by_day.items()
        if day not in {date(2025, 3, 10), date(2025, 3, 11), date(2025, 4, 2)}
    )
    assert overview.totals == TOTALS
    assert overview.totals.refunds == irr(220_000)


def test_the_figures_of_each_month_cover_whole_months(books):
    overview = money_overview(
        start=date(2025, 3, 15), end=date(2025, 4, 1), currency="IRR", period=MONTH
    )
    assert (overview.start, overview.end) == (date(2025, 3, 1), date(2025, 4, 30))
    assert [(row.start, row.figures) for row in overview.rows] == [
        (date(2025, 3, 1), MARCH_10 + MARCH_11),
        (date(2025, 4, 1), APRIL_2),
    ]
    assert overview.totals == TOTALS


def test_a_range_only_counts_its_own_days_and_currency(books):
    overview = money_overview(
        start=date(2025, 3, 11), end=date(2025, 3, 11), currency="EUR", period=DAY
    )
    assert overview.is_empty
    overview = money_overview(
        start=date(2025, 3, 11), end=date(2025, 3, 11), currency="IRR", period=DAY
    )
    assert overview.totals == MARCH_11


def test_a_reversed_payment_lowers_the_takings_and_is_no_refund(books):
    with at(2025, 3, 10, 9):
        payment = post((books["clearing"], -irr(40_000)), (books["orders"], irr(40_000)))
    with at(2025, 3, 12, 9):
        reverse_entry(entry=payment, actor=None, reason="Posted twice")
    overview = money_overview(
        start=date(2025, 3, 10), end=date(2025, 3, 12), currency="IRR", period=DAY
    )
    by_day = {row.start: row.figures for row in overview.rows}
    assert by_day[date(2025, 3, 10)].takings == irr(1_040_000)
    assert by_day[date(2025, 3, 12)] == Figures(takings=-irr(40_000))
    assert overview.totals.takings == irr(1_300_000)
    assert overview.totals.refunds == irr(220_000)


# --- The page ---------------------------------------------------------------------------------


@pytest.fixture
def staff_client(client):
    client.force_login(staff_user())
    return client


def march(client, **query):
    return client.get(URL, {"from": "2025-03-09", "to": "2025-04-02", **query})


def test_staff_see_the_totals_the_table_and_a_chart_per_figure(books, staff_client):
    response = march(staff_client)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-figure="takings">1,300,000 IRR' in page
    assert 'data-figure="commission">290,000 IRR' in page
    assert 'data-figure="refunds">220,000 IRR' in page
    assert "(100,000 IRR to cards, 120,000 IRR to wallets)" in page
    assert 'data-figure="payouts">960,000 IRR' in page
    assert 'data-figure="compensation">200,000 IRR' in page
    # Only the days that moved are rows; each chart scales its bars to the range's largest day.
    assert page.count("<tr data-period=") == 3
    assert '<tr data-period="2025-03-11">' in page
    for key in ("takings", "commission", "refunds", "payouts"):
        assert f'id="chart-{key}"' in page
    charts = response.context["charts"]
    takings = next(chart for chart in charts if chart.key == "takings")
    heights = sorted(bar.height for bar in takings.bars)
    assert len(takings.bars) == 25
    assert heights[-1] == CHART_HEIGHT
    assert heights[-2] == CHART_HEIGHT * 0.3  # 300,000 against 1,000,000
    assert "<title" in page and 'role="img"' in page
    assert " style=" not in page and "<style" not in page  # the CSP allows no inline style


def test_the_page_shows_months(books, staff_client):
    response = march(staff_client, period="month")
    page = response.content.decode()
    assert page.count("<tr data-period=") == 2
    assert '<tr data-period="2025-03-01">' in page
    assert [len(chart.bars) for chart in response.context["charts"]] == [2, 2, 2, 2]
    assert 'data-figure="takings">1,300,000 IRR' in page


def test_an_empty_range_says_so(books, staff_client):
    page = staff_client.get(URL, {"from": "2025-01-01", "to": "2025-01-31"}).content.decode()
    assert "Nothing has moved in this period." in page
    assert "<svg" not in page


@pytest.mark.parametrize(
    "query",
    [{"from": "yesterday"}, {"from": "2025-03-10", "to": "2025-03-01"}, {"period": "year"}],
)
def test_bad_dates_give_a_message_and_the_usual_range(staff_client, query):
    response = staff_client.get(URL, query)
    assert response.status_code == 200
    page = response.content.decode()
    assert "These dates could not be used, so the page shows the usual range instead." in page
    overview = response.context["overview"]
    today = timezone.localdate()
    assert (overview.period, overview.start, overview.end) == (
        DAY,
        today - timedelta(days=29),
        today,
    )


def test_without_dates_the_page_shows_the_last_30_days_or_12_months(staff_client):
    today = timezone.localdate()
    days = staff_client.get(URL).context["overview"]
    assert (days.start, days.end, len(days.rows)) == (today - timedelta(days=29), today, 30)
    months = staff_client.get(URL, {"period": "month"}).context["overview"]
    assert len(months.rows) == 12
    assert months.rows[-1].start == today.replace(day=1)


def test_a_too_long_range_of_days_is_refused(staff_client):
    page = staff_client.get(URL, {"from": "2020-01-01", "to": "2025-01-01"}).content.decode()
    assert "Show at most 366 days at once; for a longer range show months." in page


@pytest.mark.requirement("R-SEC-5")
def test_only_staff_who_read_the_books_open_the_page(client):
    anonymous = client.get(URL)
    assert anonymous.status_code == 302
    assert anonymous.url.startswith(reverse("accounts:login"))
    client.force_login(CustomerFactory())
    assert client.get(URL).status_code == 403
    client.force_login(staff_user(StaffGroup.VETTING))  # staff, but not of the books
    assert client.get(URL).status_code == 403
    for group in (StaffGroup.SUPPORT, StaffGroup.QUALITY, StaffGroup.FINANCE):
        client.force_login(staff_user(group))
        assert client.get(URL).status_code == 200
    assert client.post(URL).status_code == 405


def test_the_menu_links_to_the_page_only_for_those_who_may_open_it(client):
    client.force_login(staff_user())
    assert URL in client.get(reverse("home")).content.decode()
    client.force_login(CustomerFactory())
    assert URL not in client.get(reverse("home")).content.decode()


def test_the_page_costs_the_same_queries_for_many_entries(
    books, staff_client, django_assert_max_num_queries
):
    with django_assert_max_num_queries(6):
        assert march(staff_client).status_code == 200
    clearing, orders = books["clearing"], books["orders"]
    for day in range(10, 30):
        with at(2025, 3, day, 12):
            post((clearing, -irr(1_000)), (orders, irr(1_000)))
    with django_assert_max_num_queries(6):
        response = march(staff_client)
    assert response.context["overview"].totals.takings == irr(1_320_000)


def test_the_page_reads_right_to_left_in_persian(books, staff_client):
    staff_client.cookies["django_language"] = "fa"
    response = march(staff_client, period="month")
    page = response.content.decode()
    assert 'lang="fa" dir="rtl"' in page
    persian = str.maketrans("0123456789,", "".join(chr(0x06F0 + d) for d in range(10)) + "\u066c")
    assert "1,300,000".translate(persian) in page  # Persian digits and grouping
    # Time runs from the right: the first month's bar is the right one.
    march_bar, april_bar = response.context["charts"][0].bars
    assert march_bar.x > april_bar.x
