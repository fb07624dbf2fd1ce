"""Posting to the books (R-PAY-1): one balanced, immutable journal entry per movement of money.

Every writer of money goes through `post_entry` (or `post_entries` for a batch): it checks the
legs balance per currency before the database does (the deferred trigger of migration 0001 is
the last word), names the cause and who posted it, and with an idempotency key posts a retried
movement once. A correction is `reverse_entry`, never an edit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from ..models import AccountKind, Cause, JournalEntry, JournalLine, LedgerAccount


class LedgerError(ValidationError):
    pass


@dataclass(frozen=True)
class Leg:
    account: LedgerAccount
    amount: int  # minor units, signed from the account holder's side


@dataclass(frozen=True)
class EntrySpec:
    legs: Sequence[Leg]
    memo: str
    cause: str
    cause_id: int | None = None
    actor: Any = None  # a user, or None for the platform itself
    idempotency_key: str | None = None


def account_for(kind: str, *, currency: str, holder=None) -> LedgerAccount:
    """The account of this kind (the holder's, or the platform's), opened on first use."""
    lookup = {"kind": kind, "currency": currency.upper(), "holder": holder}
    account = LedgerAccount.objects.filter(**lookup).first()
    if account is not None:
        return account
    try:
        with transaction.atomic():
            return LedgerAccount.objects.create(**lookup)
    except IntegrityError:  # opened by a concurrent posting meanwhile
        return LedgerAccount.objects.get(**lookup)


def check_balanced(legs: Sequence[Leg]) -> None:
    if len(legs) < 2:
        raise LedgerError(_("A journal entry needs at least two lines."))
    totals: dict[str, int] = defaultdict(int)
    for leg in legs:
        if not isinstance(leg.amount, int) or isinstance(leg.amount, bool):
            raise LedgerError(_("Amounts are whole numbers of minor units."))
        if leg.amount == 0:
            raise LedgerError(_("A journal line cannot be zero."))
        totals[leg.account.currency] += leg.amount
    if any(totals.values()):
        raise LedgerError(_("The lines of a journal entry must add up to zero."))


def _entry(spec: EntrySpec) -> JournalEntry:
    return JournalEntry(
        memo=spec.memo[:300],
        cause=spec.cause,
        cause_id=spec.cause_id,
        created_by=spec.actor if getattr(spec.actor, "pk", None) else None,
        idempotency_key=spec.idempotency_key,
    )


def _lines(entry: JournalEntry, legs: Iterable[Leg]) -> list[JournalLine]:
    return [
        JournalLine(
            entry=entry, account=leg.account, amount=leg.amount, currency=leg.account.currency
        )
        for leg in legs
    ]


def post_entry(
    *,
    legs: Sequence[Leg],
    memo: str,
    cause: str,
    cause_id: int | None = None,
    actor=None,
    idempotency_key: str | None = None,
) -> JournalEntry:
    spec = EntrySpec(legs, memo, cause, cause_id, actor, idempotency_key)
    check_balanced(spec.legs)
    if idempotency_key:
        existing = JournalEntry.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
    try:
        with transaction.atomic():
            entry = _entry(spec)
            entry.save()
            JournalLine.objects.bulk_create(_lines(entry, spec.legs))
    except IntegrityError:
        if idempotency_key:  # posted by a concurrent retry of the same movement
            existing = JournalEntry.objects.filter(idempotency_key=idempotency_key).first()
            if existing is not None:
                return existing
        raise
    return entry


@transaction.atomic
def post_entries(specs: Sequence[EntrySpec]) -> list[JournalEntry]:
    """Many entries in one transaction and three statements (payout runs, imports); each is
    checked as `post_entry` checks one. Idempotency keys are not looked up here."""
    for spec in specs:
        check_balanced(spec.legs)
    entries = JournalEntry.objects.bulk_create([_entry(spec) for spec in specs])
    lines = [
        line
        for entry, spec in zip(entries, specs, strict=True)
        for line in _lines(entry, spec.legs)
    ]
    JournalLine.objects.bulk_create(lines, batch_size=5000)
    return entries


@transaction.atomic
def reverse_entry(*, entry: JournalEntry, actor, reason: str) -> JournalEntry:
    """The correction of an entry: the same lines with opposite signs, naming what it reverses.
    An entry is reversed at most once."""
    if not reason.strip():
        raise LedgerError(_("Say why the entry is reversed."))
    entry = JournalEntry.objects.select_for_update().get(pk=entry.pk)
    if JournalEntry.objects.filter(reverses=entry).exists():
        raise LedgerError(_("This entry has already been reversed."))
    if entry.reverses_id:
        raise LedgerError(_("A reversal is not reversed; post a new entry instead."))
    legs = [Leg(line.account, -line.amount) for line in entry.lines.select_related("account")]
    reversal = JournalEntry(
        memo=reason.strip()[:300],
        cause=Cause.CORRECTION,
        cause_id=entry.pk,
        created_by=actor,
        reverses=entry,
    )
    check_balanced(legs)
    reversal.save()
    JournalLine.objects.bulk_create(_lines(reversal, legs))
    return reversal


def platform(kind: str, currency: str) -> LedgerAccount:
    return account_for(kind, currency=currency)


__all__ = [
    "AccountKind",
    "Cause",
    "EntrySpec",
    "LedgerError",
    "Leg",
    "account_for",
    "check_balanced",
    "platform",
    "post_entries",
    "post_entry",
    "reverse_entry",
]
