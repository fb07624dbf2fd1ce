from django.conf import settings
from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_safe

from accounts.decorators import customer_required

from ..money import from_minor
from ..selectors import customer_balance, wallet_history


@require_safe
@customer_required
def wallet(request):
    """The customer's balance and every movement of it, newest first (R-PAY-3)."""
    page = Paginator(wallet_history(customer=request.user), 20).get_page(request.GET.get("page"))
    rows = [(line, from_minor(line.amount, line.currency)) for line in page]
    currency = settings.CURRENCY
    balance = customer_balance(customer=request.user, currency=currency)
    return render(
        request,
        "ledger/wallet.html",
        {"page": page, "rows": rows, "balance": balance, "currency": currency},
    )
