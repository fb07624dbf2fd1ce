"""The ledger accounts payments move money between, and the keys that make each movement
happen once (R-PAY-1). One place, so checkout, refunds and earnings agree on them."""

from __future__ import annotations

from ledger.models import AccountKind, JournalEntry, LedgerAccount
from ledger.services.posting import account_for


def orders_account(customer, currency: str) -> LedgerAccount:
    """The customer's account for jobs: payments for orders credit it, completed jobs debit
    it (paid ahead when positive, owed when negative)."""
    return account_for(AccountKind.CUSTOMER_ORDERS, currency=currency, holder=customer)


def wallet_account(customer, currency: str) -> LedgerAccount:
    return account_for(AccountKind.CUSTOMER_WALLET, currency=currency, holder=customer)


def fees_account(customer, currency: str) -> LedgerAccount:
    return account_for(AccountKind.CUSTOMER_DUE, currency=currency, holder=customer)


def earnings_account(provider_user, currency: str) -> LedgerAccount:
    return account_for(AccountKind.PROVIDER_EARNINGS, currency=currency, holder=provider_user)


def job_charge_key(order_id: int) -> str:
    """The entry that charges a completed job to the customer and shares it out (earnings)."""
    return f"order:{order_id}:charge"


def is_job_charged(order) -> bool:
    return JournalEntry.objects.filter(idempotency_key=job_charge_key(order.pk)).exists()
