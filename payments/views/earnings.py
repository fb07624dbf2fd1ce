"""The provider's earnings (R-PAY-4): balance, monthly statements (page and PDF), and the
bank account payouts go to."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from accounts.decorators import provider_required
from core.forms import add_refusal
from ledger.money import from_minor

from ..selectors import Period, earnings_balance, statement_for, statement_months
from ..services.earnings import save_payout_account
from ..statements import render_statement_pdf, statement_filename


class PayoutAccountForm(forms.Form):
    iban = forms.CharField(
        label=gettext_lazy("IBAN"),
        max_length=50,
        help_text=gettext_lazy("Your bank account's international number, e.g. IR06 2960 …"),
    )
    holder_name = forms.CharField(label=gettext_lazy("Account holder"), max_length=150)


def _vetted(request):
    """The provider, or None for an applicant (who has no earnings yet)."""
    provider = request.user.provider
    return provider if provider.vetting_completed_at is not None else None


@provider_required
def earnings(request):
    provider = _vetted(request)
    if provider is None:
        return redirect("providers:application")
    account = getattr(provider, "payout_account", None)
    initial = {"iban": account.iban, "holder_name": account.holder_name} if account else None
    form = PayoutAccountForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            save_payout_account(provider=provider, **form.cleaned_data)
        except ValidationError as error:
            add_refusal(form, error)
        else:
            messages.success(request, _("Your bank account is saved."))
            return redirect("payments:earnings")
    currency = settings.CURRENCY
    return render(
        request,
        "payments/earnings.html",
        {
            "provider": provider,
            "currency": currency,
            "balance": from_minor(earnings_balance(provider=provider, currency=currency), currency),
            "months": statement_months(provider=provider, currency=currency),
            "account": account,
            "form": form,
        },
    )


@require_safe
@provider_required
def statement(request):
    provider = _vetted(request)
    if provider is None:
        return redirect("providers:application")
    period = Period.parse_month(request.GET.get("month"))
    return render(
        request,
        "payments/earnings_statement.html",
        {
            "statement": statement_for(provider=provider, period=period),
            "pdf_query": period.key,
        },
    )


@require_safe
@provider_required
def statement_pdf(request):
    provider = _vetted(request)
    if provider is None:
        return redirect("providers:application")
    period = Period.parse_month(request.GET.get("month"))
    found = statement_for(provider=provider, period=period)
    response = HttpResponse(render_statement_pdf(found), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{statement_filename(found)}"'
    return response
