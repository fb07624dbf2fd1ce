"""Payout runs (R-PAY-4): paying providers what they were owed at the end of a period.

`build_payout_run` lists, per provider, what is owed at the period's end (less what was paid
out since and what other unpaid runs already hold, and never more than is owed now) as one
`Payout`, for providers with a valid IBAN; others are listed as left out with the reason, and a
negative balance is carried over (nothing is posted). `bank_file` builds the bank-transfer CSV,
checking every IBAN again, and marks the run exported. `mark_run_paid` posts one entry per
payout (earnings -X, payouts +X) in one transaction; the run's lifecycle refuses a second time.
Only staff with `payments.run_payouts` do any of it.
"""

from __future__ import annotations

import csv
import io
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from core.lifecycle import Lifecycle
from ledger.models import AccountKind, Cause, LedgerAccount
from ledger.money import from_minor
from ledger.services.posting import EntrySpec, Leg, platform, post_entries
from providers.models import Provider

from ..models import (
    UNPAID_RUN_STATUSES,
    Payout,
    PayoutRun,
    PayoutRunEvent,
    PayoutRunStatus,
    PayoutSkip,
    SkipReason,
)
from ..selectors import Period, earnings_balances
from .accounts import earnings_account
from .earnings import iban_is_valid

PERMISSION = "payments.run_payouts"
PAYOUT_MEMO = gettext_noop("Payout to the bank account")

S = PayoutRunStatus
ALLOWED_TRANSITIONS = {
    S.DRAFT: (S.EXPORTED, S.CANCELLED),
    S.EXPORTED: (S.PAID, S.CANCELLED),
}


class PayoutError(ValidationError):
    """A payout run change was refused; the message is for the operator."""


PAYOUT_RUN_LIFECYCLE = Lifecycle(
    allowed=ALLOWED_TRANSITIONS,
    event_model=PayoutRunEvent,
    error=PayoutError,
    refusal=gettext_lazy("A payout run that is %(current)s cannot become %(target)s."),
)


def payout_key(payout: Payout) -> str:
    return f"payout:{payout.pk}:paid"


def _check_permission(actor) -> None:
    if actor is None or not actor.has_perm(PERMISSION):
        raise PayoutError(_("You may not run payouts."))


def _lock_payouts(currency: str) -> None:
    """Runs of one currency are built and paid one at a time: the platform's payouts account
    row is the lock (so two operators cannot put a provider in two runs at once)."""
    account = platform(AccountKind.PAYOUTS, currency)
    LedgerAccount.objects.select_for_update().filter(pk=account.pk).first()


def _owed(*, period: Period, currency: str) -> dict[int, int]:
    """{provider's user id: what the run may pay}: the balance at the period's end, less the
    payouts posted since, never more than the balance now."""
    at_end = earnings_balances(currency=currency, before=period.ends_at)
    now = earnings_balances(currency=currency)
    paid_since = earnings_balances(currency=currency, causes=[Cause.PAYOUT])
    paid_before_end = earnings_balances(
        currency=currency, before=period.ends_at, causes=[Cause.PAYOUT]
    )
    owed = {}
    for user_id, balance in at_end.items():
        since = paid_since.get(user_id, 0) - paid_before_end.get(user_id, 0)
        owed[user_id] = min(balance + since, now.get(user_id, 0))
    return owed


@transaction.atomic
def build_payout_run(*, period_start: date, period_end: date, currency: str, actor) -> PayoutRun:
    _check_permission(actor)
    if period_end < period_start:
        raise PayoutError(_("The period ends before it starts."))
    currency = currency.upper()
    _lock_payouts(currency)
    period = Period(period_start, period_end)
    owed = _owed(period=period, currency=currency)
    unpaid = Payout.objects.filter(run__status__in=UNPAID_RUN_STATUSES, currency=currency)
    held = dict(unpaid.values_list("provider__user_id").annotate(total=Sum("amount")).order_by())
    overlapping = dict(
        unpaid.filter(run__period_start__lte=period_end, run__period_end__gte=period_start)
        .values_list("provider_id", "run_id")
        .order_by("run_id")
    )
    providers = Provider.objects.filter(user_id__in=list(owed)).select_related(
        "user", "payout_account"
    )
    run = PayoutRun.objects.create(
        period_start=period_start, period_end=period_end, currency=currency, created_by=actor
    )
    payouts, skips = [], []
    for provider in sorted(providers, key=lambda p: p.pk):
        amount = owed[provider.user_id] - held.get(provider.user_id, 0)
        account = getattr(provider, "payout_account", None)
        reason, other_run = None, None
        if provider.pk in overlapping:
            reason, other_run = SkipReason.IN_OTHER_RUN, overlapping[provider.pk]
        elif amount < 0:
            reason = SkipReason.CARRIED_OVER
        elif amount == 0:
            continue
        elif account is None:
            reason = SkipReason.NO_ACCOUNT
        elif not iban_is_valid(account.iban):
            reason = SkipReason.INVALID_IBAN
        if reason is not None:
            skips.append(
                PayoutSkip(
                    run=run,
                    provider=provider,
                    balance=amount,
                    reason=reason,
                    other_run_id=other_run,
                )
            )
            continue
        assert account is not None
        payouts.append(
            Payout(
                run=run,
                provider=provider,
                amount=amount,
                currency=currency,
                iban=account.iban,
                holder_name=account.holder_name,
            )
        )
    Payout.objects.bulk_create(payouts)
    PayoutSkip.objects.bulk_create(skips)
    run.total = sum(payout.amount for payout in payouts)
    run.save(update_fields=["total"])
    PAYOUT_RUN_LIFECYCLE.begin(run, actor=actor, reason=gettext_noop("Payout run built"))
    return run


CSV_HEADER = ["iban", "holder_name", "amount", "currency", "reference"]


def _cell(text: str) -> str:
    """A spreadsheet never runs a cell of ours as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@transaction.atomic
def bank_file(*, run: PayoutRun, actor) -> str:
    """The run's bank-transfer file (CSV: IBAN, holder, amount in major units, currency,
    reference "payout-<id>"). Every IBAN is checked again; a draft run becomes exported."""
    _check_permission(actor)
    run = PayoutRun.objects.select_for_update().get(pk=run.pk)
    if run.status not in UNPAID_RUN_STATUSES:
        raise PayoutError(
            _("A payout run that is %(status)s has no bank file to send.")
            % {"status": run.get_status_display().lower()}
        )
    payouts = list(run.payouts.select_related("provider__user").order_by("id"))
    invalid = [payout for payout in payouts if not iban_is_valid(payout.iban)]
    if invalid:
        raise PayoutError(
            [
                _(
                    "%(provider)s: the IBAN %(iban)s is not valid; "
                    "cancel this run and build it again."
                )
                % {"provider": payout.provider.user.full_name, "iban": payout.iban}
                for payout in invalid
            ]
        )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for payout in payouts:
        writer.writerow(
            [
                payout.iban,
                _cell(payout.holder_name),
                f"{from_minor(payout.amount, payout.currency):f}",
                payout.currency,
                payout.reference,
            ]
        )
    if run.status == S.DRAFT:
        PAYOUT_RUN_LIFECYCLE.transition(
            run, S.EXPORTED, actor=actor, reason=gettext_noop("Bank file downloaded")
        )
    return out.getvalue()


@transaction.atomic
def mark_run_paid(*, run: PayoutRun, actor) -> PayoutRun:
    """The bank sent the transfers: post each payout (earnings -X, payouts +X) in one
    transaction. A run is paid once: the lifecycle refuses a paid run, and each payout's
    idempotency key is unique in the ledger."""
    _check_permission(actor)
    run = PAYOUT_RUN_LIFECYCLE.transition(
        run, S.PAID, actor=actor, reason=gettext_noop("Marked paid")
    )
    payouts = list(run.payouts.select_related("provider__user").order_by("id"))
    if not payouts:
        return run
    payouts_account = platform(AccountKind.PAYOUTS, run.currency)
    specs = [
        EntrySpec(
            legs=[
                Leg(earnings_account(payout.provider.user, payout.currency), -payout.amount),
                Leg(payouts_account, payout.amount),
            ],
            memo=PAYOUT_MEMO,
            cause=Cause.PAYOUT,
            cause_id=payout.pk,
            actor=actor,
            idempotency_key=payout_key(payout),
        )
        for payout in payouts
    ]
    entries = post_entries(specs)
    for payout, entry in zip(payouts, entries, strict=True):
        payout.entry = entry
    Payout.objects.bulk_update(payouts, ["entry"])
    return run


@transaction.atomic
def cancel_payout_run(*, run: PayoutRun, actor, reason: str) -> PayoutRun:
    """Drop an unpaid run (nothing was posted); its providers may go into another run."""
    _check_permission(actor)
    if not (reason or "").strip():
        raise PayoutError(_("Say why the run is cancelled."))
    return PAYOUT_RUN_LIFECYCLE.transition(run, S.CANCELLED, actor=actor, reason=reason.strip())
