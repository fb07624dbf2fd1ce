"""The customer's side of the books (R-PAY-3): credits into the wallet, fees owed, and spending
that never takes the wallet below zero."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from ..models import AccountKind, JournalEntry, LedgerAccount
from ..money import to_minor
from ..selectors import balance
from .posting import LedgerError, Leg, account_for, platform, post_entry


def wallet_of(customer, currency: str) -> LedgerAccount:
    return account_for(AccountKind.CUSTOMER_WALLET, currency=currency, holder=customer)


def credit_wallet(
    *,
    customer,
    amount: Decimal,
    currency: str,
    memo: str,
    cause: str,
    cause_id: int | None = None,
    actor=None,
    source: str = AccountKind.COMPENSATION,
    idempotency_key: str | None = None,
) -> JournalEntry:
    """Credit the customer's wallet from a platform account (compensation by default)."""
    minor = to_minor(amount, currency)
    if minor <= 0:
        raise LedgerError(_("A credit must be above zero."))
    return post_entry(
        legs=[Leg(wallet_of(customer, currency), minor), Leg(platform(source, currency), -minor)],
        memo=memo,
        cause=cause,
        cause_id=cause_id,
        actor=actor,
        idempotency_key=idempotency_key,
    )


def charge_fee(
    *,
    customer,
    amount: Decimal,
    currency: str,
    memo: str,
    cause: str,
    cause_id: int | None = None,
    actor=None,
) -> JournalEntry:
    """A fee the customer owes (a late cancellation): recorded as due, earned as revenue. It is
    collected at their next payment; the wallet itself never goes below zero."""
    minor = to_minor(amount, currency)
    if minor <= 0:
        raise LedgerError(_("A fee must be above zero."))
    due = account_for(AccountKind.CUSTOMER_DUE, currency=currency, holder=customer)
    return post_entry(
        legs=[Leg(due, -minor), Leg(platform(AccountKind.REVENUE, currency), minor)],
        memo=memo,
        cause=cause,
        cause_id=cause_id,
        actor=actor,
    )


@transaction.atomic
def spend_wallet(
    *,
    customer,
    amount: Decimal,
    currency: str,
    memo: str,
    cause: str,
    cause_id: int | None = None,
    actor=None,
    to: str = AccountKind.REVENUE,
) -> JournalEntry:
    """Take `amount` from the wallet; refused if the wallet holds less. The wallet's row is
    locked first, so two spends at once cannot both pass the check."""
    minor = to_minor(amount, currency)
    if minor <= 0:
        raise LedgerError(_("An amount to spend must be above zero."))
    wallet = LedgerAccount.objects.select_for_update().get(pk=wallet_of(customer, currency).pk)
    if balance(wallet) < minor:
        raise LedgerError(_("The wallet holds less than this amount."))
    return post_entry(
        legs=[Leg(wallet, -minor), Leg(platform(to, currency), minor)],
        memo=memo,
        cause=cause,
        cause_id=cause_id,
        actor=actor,
    )
