"""Reading the books: balances are sums of lines (R-PAY-1)."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Sum

from .models import AccountKind, JournalLine, LedgerAccount
from .money import from_minor


def balance(account: LedgerAccount) -> int:
    """The account's balance in minor units."""
    total = JournalLine.objects.filter(account=account).aggregate(total=Sum("amount"))["total"]
    return total or 0


def balances(accounts=None) -> dict[int, int]:
    """Every account's balance (or these accounts'), in one grouped query: {account id: minor}."""
    lines = JournalLine.objects.all()
    if accounts is not None:
        lines = lines.filter(account__in=accounts)
    return dict(lines.values_list("account").annotate(total=Sum("amount")).order_by())


def customer_balance(*, customer, currency: str) -> Decimal:
    """What the customer holds net: wallet credits minus fees still owed."""
    total = JournalLine.objects.filter(
        account__holder=customer,
        account__kind__in=(AccountKind.CUSTOMER_WALLET, AccountKind.CUSTOMER_DUE),
        currency=currency,
    ).aggregate(total=Sum("amount"))["total"]
    return from_minor(total or 0, currency)


def wallet_history(*, customer):
    """The customer's lines, newest first, with their entries (for the wallet page)."""
    return (
        JournalLine.objects.filter(
            account__holder=customer,
            account__kind__in=(AccountKind.CUSTOMER_WALLET, AccountKind.CUSTOMER_DUE),
        )
        .select_related("entry", "account")
        .order_by("-entry__created_at", "-id")
    )
