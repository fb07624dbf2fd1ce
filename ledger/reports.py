"""The money overview (R-PAY-1, R-PAY-4): what came in, what the platform earned, what went back
and what was paid out, per day or per month, read from the books alone.

One grouped query over the journal lines of the range (`money_overview`): the lines' entries are
bucketed by their local day or month (`TruncDate`/`TruncMonth` in the current time zone), and
each figure is a filtered `Sum`. Figures are integers in minor units; totals are added up here.

Sign conventions relied on (ledger/models/journal.py: signed from the holder's side, every entry
sums to zero; payments/services/checkout.py, refunds.py, earnings.py, payouts.py post them):
- A payment through the gateway posts gateway clearing -g (and the customer's accounts +g).
  **Takings** are the magnitude of the negative gateway-clearing lines. Money paid from the
  wallet moves between the customer's own accounts and is not takings: it was taken when it
  came in (or it was credit the platform granted, see compensation).
- A refund posts its source -x and its destination +x, caused by the payment: the source is the
  customer's orders account before the job was charged, the platform's refunds account after;
  the destination is gateway clearing (+x: back to the card) or the customer's wallet (+x).
  **Refunds** are what went back: positive gateway-clearing lines (to cards) plus positive
  wallet lines of entries caused by a payment (to wallets; the wallet part of a payment is a
  negative wallet line, and giving it back when a payment fails is a reversal, see below).
  **Refunds of charged jobs** are the magnitude of the refunds account: the part of those
  refunds that the platform bore because the job had already been charged. It overlaps the
  refunds (a refund to the card after the job was charged posts refunds -x and clearing +x),
  so it is shown beside them, never added to them.
- A completed job posts the customer's orders -price, the provider's earnings +share and the
  platform's revenue +commission; a late-cancellation fee posts revenue +fee. **Commission and
  fees** are the sum of the revenue lines.
- A payout posts the provider's earnings -X and payouts +X. **Payouts** are the sum of the
  payouts lines.
- Compensation credited to a wallet posts compensation -x. **Compensation** is minus the sum of
  the compensation lines.
- A correction (`reverse_entry`) posts the same lines with opposite signs and names the entry it
  reverses. Summed figures (commission, payouts, compensation, refunds of charged jobs) net out
  by themselves. Figures that pick lines by their sign look at the sign the *reversed* line had:
  reversing a payment lowers the takings (it is not a refund), reversing a refund lowers the
  refunds (it is not a payment).

A day's figure may be negative when a correction on that day outweighs what was posted.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta

from django.db.models import DateField, Q, Sum
from django.db.models.functions import TruncDate, TruncMonth
from django.utils import timezone

from .models import AccountKind, Cause, JournalLine

DAY = "day"
MONTH = "month"
PERIODS = (DAY, MONTH)

REPORTED_KINDS = (
    AccountKind.GATEWAY_CLEARING,
    AccountKind.CUSTOMER_WALLET,
    AccountKind.REVENUE,
    AccountKind.REFUNDS,
    AccountKind.PAYOUTS,
    AccountKind.COMPENSATION,
)


@dataclass(frozen=True)
class Figures:
    """Minor units of one currency."""

    takings: int = 0
    commission: int = 0
    refunds_to_cards: int = 0
    refunds_to_wallets: int = 0
    refunds_of_charged_jobs: int = 0
    payouts: int = 0
    compensation: int = 0

    @property
    def refunds(self) -> int:
        return self.refunds_to_cards + self.refunds_to_wallets

    @property
    def is_empty(self) -> bool:
        return not any(getattr(self, field.name) for field in fields(self))

    def __add__(self, other: Figures) -> Figures:
        return Figures(
            **{
                field.name: getattr(self, field.name) + getattr(other, field.name)
                for field in fields(self)
            }
        )


@dataclass(frozen=True)
class PeriodFigures:
    start: date  # the day, or the month's first day
    figures: Figures


@dataclass(frozen=True)
class Overview:
    period: str  # DAY or MONTH
    start: date
    end: date  # included
    currency: str
    rows: list[PeriodFigures]  # every day or month of the range, oldest first
    totals: Figures

    @property
    def is_empty(self) -> bool:
        return all(row.figures.is_empty for row in self.rows)


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def period_starts(*, period: str, start: date, end: date) -> list[date]:
    """Every day, or the first day of every month, from `start` to `end` included."""
    if period == DAY:
        return [start + timedelta(days=n) for n in range((end - start).days + 1)]
    starts, current = [], month_start(start)
    while current <= end:
        starts.append(current)
        current = next_month(current)
    return starts


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


# A line seen with the sign of the line it reverses (its own sign when it reverses nothing).
_ORIGINAL = Q(entry__reverses__isnull=True)
_REVERSAL = Q(entry__reverses__isnull=False)
_WAS_NEGATIVE = (_ORIGINAL & Q(amount__lt=0)) | (_REVERSAL & Q(amount__gt=0))
_WAS_POSITIVE = (_ORIGINAL & Q(amount__gt=0)) | (_REVERSAL & Q(amount__lt=0))
_CAUSED_BY_PAYMENT = (_ORIGINAL & Q(entry__cause=Cause.PAYMENT)) | (
    _REVERSAL & Q(entry__reverses__cause=Cause.PAYMENT)
)


def _kind(kind: str) -> Q:
    return Q(account__kind=kind, account__holder__isnull=kind != AccountKind.CUSTOMER_WALLET)


# figure -> (sign applied to the sum, the lines summed)
_SUMS: dict[str, tuple[int, Q]] = {
    "takings": (-1, _kind(AccountKind.GATEWAY_CLEARING) & _WAS_NEGATIVE),
    "commission": (1, _kind(AccountKind.REVENUE)),
    "refunds_to_cards": (1, _kind(AccountKind.GATEWAY_CLEARING) & _WAS_POSITIVE),
    "refunds_to_wallets": (
        1,
        _kind(AccountKind.CUSTOMER_WALLET) & _WAS_POSITIVE & _CAUSED_BY_PAYMENT,
    ),
    "refunds_of_charged_jobs": (-1, _kind(AccountKind.REFUNDS)),
    "payouts": (1, _kind(AccountKind.PAYOUTS)),
    "compensation": (-1, _kind(AccountKind.COMPENSATION)),
}


def money_overview(*, start: date, end: date, currency: str, period: str = DAY) -> Overview:
    """The figures of every day (or month) from `start` to `end` included, in one query. With
    months, the range is widened to whole months."""
    if period not in PERIODS:
        raise ValueError(f"Unknown period {period!r}")
    if period == MONTH:
        start, end = month_start(start), next_month(end) - timedelta(days=1)
    zone = timezone.get_current_timezone()
    bucket = (
        TruncDate("entry__created_at", tzinfo=zone)
        if period == DAY
        else TruncMonth("entry__created_at", output_field=DateField(), tzinfo=zone)
    )
    found = (
        JournalLine.objects.filter(
            currency=currency,
            account__kind__in=REPORTED_KINDS,
            entry__created_at__gte=_local_midnight(start),
            entry__created_at__lt=_local_midnight(end + timedelta(days=1)),
        )
        .annotate(bucket=bucket)
        .values("bucket")
        .annotate(
            **{name: Sum("amount", filter=lines, default=0) for name, (_, lines) in _SUMS.items()}
        )
        .order_by()
    )
    by_start = {
        row["bucket"]: Figures(**{name: sign * row[name] for name, (sign, _) in _SUMS.items()})
        for row in found
    }
    rows = [
        PeriodFigures(day, by_start.get(day, Figures()))
        for day in period_starts(period=period, start=start, end=end)
    ]
    totals = sum((row.figures for row in rows), Figures())
    return Overview(
        period=period, start=start, end=end, currency=currency, rows=rows, totals=totals
    )
