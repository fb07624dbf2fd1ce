"""The sandbox gateway's hosted card page (payments/gateways/sandbox.py): what a customer sees
at a real gateway, on our site. It charges the sandbox's book, sends the signed callback, and
redirects the customer back to the shop."""

from urllib.parse import urlencode

from django import forms
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from core.outbox import after_commit

from ..gateways import sandbox
from ..models import SandboxCharge
from ..tasks import deliver_sandbox_callback


class CardForm(forms.Form):
    number = forms.CharField(label=gettext_lazy("Card number"), max_length=23)
    expiry = forms.RegexField(
        label=gettext_lazy("Expiry (MM/YY)"), regex=r"^(0[1-9]|1[0-2])/\d{2}$"
    )
    cvc = forms.RegexField(label=gettext_lazy("Security code"), regex=r"^\d{3,4}$")

    def clean_number(self):
        digits = "".join(self.cleaned_data["number"].split())
        if not digits.isdigit() or not sandbox.luhn_valid(digits):
            raise forms.ValidationError(_("This is not a valid card number."))
        return digits


@require_http_methods(["GET", "POST"])
def sandbox_card(request, charge_id):
    charge = get_object_or_404(SandboxCharge, charge_id=charge_id)
    if charge.state != SandboxCharge.State.OPEN:
        return _back(charge)
    form = CardForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        number = form.cleaned_data["number"]
        charge = sandbox.SandboxGateway.pay(charge, number)
        if number == sandbox.LOST_CALLBACK_CARD:
            # The card was charged, but neither the callback nor the redirect reaches the shop.
            return render(request, "payments/sandbox_lost.html", {"charge": charge})
        after_commit(deliver_sandbox_callback, charge.pk)
        return _back(charge)
    return render(
        request,
        "payments/sandbox_card.html",
        {
            "charge": charge,
            "form": form,
            "cards": {
                "pays": sandbox.PAYING_CARD,
                "declined": sandbox.DECLINED_CARD,
                "lost": sandbox.LOST_CALLBACK_CARD,
            },
        },
    )


def _back(charge: SandboxCharge):
    separator = "&" if "?" in charge.return_url else "?"
    query = urlencode({"charge": charge.charge_id, "state": charge.state})
    return redirect(f"{charge.return_url}{separator}{query}")
