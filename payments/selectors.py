"""Reads of payments (no writes).

Earnings (R-PAY-4): a provider's statements. A statement covers a period (a calendar month in
the platform's time zone) of the provider's earnings account: the balance at its start, every
movement in it (jobs with price, commission and share; bonuses, fines, clawbacks, payouts,
corrections), and the balance at its end. Balances are sums of ledger lines, so a statement's
closing balance is the ledger's balance at the period's end, and a negative balance (a fine or a
clawback larger than what was owed) is carried into the next period as it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ledger.models import AccountKind, Cause, JournalLine
from ledger.money import from_minor

from .models import EarningRecord

# --- Periods --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Days `first`..`last` (inclusive) in the platform's time zone."""

    first: date
    last: date

    @property
    def starts_at(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.first, time.min))

    @property
    def ends_at(self) -> datetime:
        """The first moment after the period."""
        return timezone.make_aware(datetime.combine(self.last, time.min)) + timedelta(days=1)

    @property
    def key(self) -> str:
        return self.first.strftime("%Y-%m")

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        first = date(year, month, 1)
        following = date(year + month // 12, month % 12 + 1, 1)
        return cls(first, date.fromordinal(following.toordinal() - 1))

    @classmethod
    def month_of(cls, day: date) -> Period:
        return cls.month(day.year, day.month)

    @classmethod
    def parse_month(cls, text: str | None) -> Period:
        """'2026-11' as its month; anything else as the current month."""
        try:
            year, month = (int(part) for part in (text or "").split("-"))
            return cls.month(year, month)
        except ValueError:
            return cls.month_of(timezone.localdate())


# --- Balances -------------------------------------------------------------------------------


def _earnings_lines(user, currency: str):
    return JournalLine.objects.filter(
        account__kind=AccountKind.PROVIDER_EARNINGS, account__holder=user, currency=currency
    )


def earnings_balance(*, provider, currency: str, before: datetime | None = None) -> int:
    """What the platform owes the provider (minor units; negative: what the provider owes),
    now or just before `before`."""
    lines = _earnings_lines(provider.user_id, currency)
    if before is not None:
        lines = lines.filter(entry__created_at__lt=before)
    return lines.aggregate(total=Sum("amount"))["total"] or 0


def earnings_balances(*, currency: str, before: datetime | None = None, causes=None) -> dict:
    """Every provider's earnings balance in one grouped query: {user id: minor units}; only
    lines before `before`, and only entries of `causes` when given."""
    lines = JournalLine.objects.filter(
        account__kind=AccountKind.PROVIDER_EARNINGS, currency=currency
    )
    if before is not None:
        lines = lines.filter(entry__created_at__lt=before)
    if causes is not None:
        lines = lines.filter(entry__cause__in=causes)
    return dict(lines.values_list("account__holder").annotate(total=Sum("amount")).order_by())


# --- Statements -----------------------------------------------------------------------------


class MovementKind:
    JOB = "job"
    BONUS = "bonus"
    FINE = "fine"
    CLAWBACK = "clawback"
    PAYOUT = "payout"
    CORRECTION = "correction"
    ADJUSTMENT = "adjustment"


MOVEMENT_LABELS = {
    MovementKind.JOB: _("Job"),
    MovementKind.BONUS: _("Bonus"),
    MovementKind.FINE: _("Fine"),
    MovementKind.CLAWBACK: _("Clawback"),
    MovementKind.PAYOUT: _("Payout"),
    MovementKind.CORRECTION: _("Correction"),
    MovementKind.ADJUSTMENT: _("Adjustment"),
}


@dataclass
class Movement:
    at: datetime
    kind: str
    amount: int  # minor units, + owed to the provider, - taken from them
    memo: str
    entry_id: int
    order_id: int | None = None
    earning: EarningRecord | None = None
    currency: str = ""

    @property
    def amount_major(self) -> Decimal:
        return from_minor(self.amount, self.currency)

    @property
    def label(self) -> str:
        return str(MOVEMENT_LABELS[self.kind])


@dataclass
class Statement:
    provider: object
    currency: str
    period: Period
    opening: int
    movements: list[Movement] = field(default_factory=list)

    @property
    def closing(self) -> int:
        return self.opening + sum(movement.amount for movement in self.movements)

    def total(self, kind: str) -> int:
        return sum(movement.amount for movement in self.movements if movement.kind == kind)

    @property
    def totals(self) -> dict[str, int]:
        return {kind: self.total(kind) for kind in MOVEMENT_LABELS}

    @property
    def total_rows(self) -> list[tuple[str, Decimal]]:
        """(label, total in major units) of each kind that moved in the period."""
        return [
            (str(label), self.major(self.total(kind)))
            for kind, label in MOVEMENT_LABELS.items()
            if any(movement.kind == kind for movement in self.movements)
        ]

    def major(self, minor: int) -> Decimal:
        return from_minor(minor, self.currency)

    @property
    def opening_major(self) -> Decimal:
        return self.major(self.opening)

    @property
    def closing_major(self) -> Decimal:
        return self.major(self.closing)

    @property
    def jobs(self) -> list[Movement]:
        return [movement for movement in self.movements if movement.kind == MovementKind.JOB]


def _kind(line: JournalLine, counter_kinds: set[str], is_job: bool) -> str:
    cause = line.entry.cause
    if is_job:
        return MovementKind.JOB
    if cause == Cause.PAYOUT:
        return MovementKind.PAYOUT
    if cause == Cause.CORRECTION:
        return MovementKind.CORRECTION
    if AccountKind.BONUSES in counter_kinds:
        return MovementKind.BONUS
    if AccountKind.FINES in counter_kinds:
        return MovementKind.FINE
    if line.amount < 0:
        return MovementKind.CLAWBACK
    return MovementKind.ADJUSTMENT


def statement_for(*, provider, period: Period, currency: str | None = None) -> Statement:
    """The provider's statement for `period` (four queries however many movements)."""
    currency = currency or settings.CURRENCY
    opening = earnings_balance(provider=provider, currency=currency, before=period.starts_at)
    lines = list(
        _earnings_lines(provider.user_id, currency)
        .filter(entry__created_at__gte=period.starts_at, entry__created_at__lt=period.ends_at)
        .select_related("entry")
        .order_by("entry__created_at", "id")
    )
    entry_ids = [line.entry_id for line in lines]
    counter: dict[int, set[str]] = {}
    for entry_id, kind in JournalLine.objects.filter(
        entry_id__in=entry_ids, account__kind__in=(AccountKind.BONUSES, AccountKind.FINES)
    ).values_list("entry_id", "account__kind"):
        counter.setdefault(entry_id, set()).add(kind)
    earnings = {
        record.entry_id: record
        for record in EarningRecord.objects.filter(entry_id__in=entry_ids).select_related(
            "order__service_type", "commission_table"
        )
    }
    movements = [
        Movement(
            at=line.entry.created_at,
            kind=_kind(line, counter.get(line.entry_id, set()), line.entry_id in earnings),
            amount=line.amount,
            memo=line.entry.memo,
            entry_id=line.entry_id,
            order_id=line.entry.cause_id if line.entry.cause == Cause.ORDER else None,
            earning=earnings.get(line.entry_id),
            currency=currency,
        )
        for line in lines
    ]
    return Statement(
        provider=provider, currency=currency, period=period, opening=opening, movements=movements
    )


@dataclass
class MonthSummary:
    period: Period
    currency: str
    opening: int
    moved_in: int
    moved_out: int

    @property
    def closing(self) -> int:
        return self.opening + self.moved_in + self.moved_out

    def major(self, minor: int) -> Decimal:
        return from_minor(minor, self.currency)

    @property
    def closing_major(self) -> Decimal:
        return self.major(self.closing)

    @property
    def moved_in_major(self) -> Decimal:
        return self.major(self.moved_in)

    @property
    def moved_out_major(self) -> Decimal:
        return self.major(-self.moved_out)


def statement_months(*, provider, currency: str | None = None) -> list[MonthSummary]:
    """Every month with a movement, and the current month, newest first, with its opening
    and closing balances (two grouped queries)."""
    currency = currency or settings.CURRENCY
    lines = _earnings_lines(provider.user_id, currency).annotate(
        month=TruncMonth("entry__created_at", tzinfo=timezone.get_current_timezone())
    )
    moved_in = dict(
        lines.filter(amount__gt=0).values_list("month").annotate(total=Sum("amount")).order_by()
    )
    moved_out = dict(
        lines.filter(amount__lt=0).values_list("month").annotate(total=Sum("amount")).order_by()
    )
    months = {Period.month_of(timezone.localtime(m).date()) for m in [*moved_in, *moved_out]}
    months.add(Period.month_of(timezone.localdate()))
    by_key_in = {Period.month_of(timezone.localtime(m).date()).key: t for m, t in moved_in.items()}
    by_key_out = {
        Period.month_of(timezone.localtime(m).date()).key: t for m, t in moved_out.items()
    }
    summaries = []
    running = 0
    for period in sorted(months, key=lambda p: p.first):
        summary = MonthSummary(
            period=period,
            currency=currency,
            opening=running,
            moved_in=by_key_in.get(period.key, 0),
            moved_out=by_key_out.get(period.key, 0),
        )
        running = summary.closing
        summaries.append(summary)
    return list(reversed(summaries))
