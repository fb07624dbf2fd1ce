"""Contract pages (R-ORD-4): read and sign, download as PDF, verify publicly."""

from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from core.forms import add_refusal
from core.signing import text_sha256
from core.throttle import client_ip

from ..forms.contracts import ContractSignForm
from ..models import Contract, ContractParty, Order, OrderStatus
from ..services import contracts

FONT = "vendor/vazirmatn/Vazirmatn-Variable.woff2"


def _order_for_party(request, pk, *, staff_too=False) -> Order:
    """The order if the user is its customer or assigned provider (or, with `staff_too`, staff
    who may read orders: support and quality); else 404."""
    order = get_object_or_404(
        Order.objects.select_related("customer", "provider__user", "service_type", "area"), pk=pk
    )
    if contracts.party_of(order, request.user) is None and not (
        staff_too and request.user.has_perm("orders.view_order")
    ):
        raise Http404
    return order


def _contract_of(order: Order) -> Contract | None:
    """The contract in force; a confirmed job without one that describes it (confirmed before
    contracts existed, or changed since) gets it now."""
    contract = contracts.current_contract(order)
    stale = contract is None or not contract.describes(order)
    if stale and order.status == OrderStatus.CONFIRMED and order.provider_id:
        contract = contracts.generate_contract(order=order)
    return contract


@login_required
def contract_page(request, pk):
    order = _order_for_party(request, pk)
    contract = _contract_of(order)
    party = contracts.party_of(order, request.user, contract)
    signatures = list(contract.signatures.select_related("signer")) if contract else []
    can_sign = (
        contract is not None
        and order.status != OrderStatus.CANCELLED
        and party not in {signature.party for signature in signatures}
    )
    form = None
    if can_sign:
        form = ContractSignForm(request.POST or None, initial={"text_sha256": contract.text_sha256})
        if request.method == "POST" and form.is_valid():
            try:
                contracts.sign_contract(
                    contract=contract,
                    party=party,
                    user=request.user,
                    typed_name=form.cleaned_data["typed_name"],
                    ip_address=client_ip(request) or None,
                    user_agent=request.META.get("HTTP_USER_AGENT", ""),
                    shown_sha256=form.cleaned_data["text_sha256"],
                )
            except ValidationError as error:
                add_refusal(form, error)
            else:
                messages.success(request, _("Thank you. You have signed the contract."))
                return redirect("orders:contract", pk=order.pk)
    elif request.method == "POST":
        return redirect("orders:contract", pk=order.pk)
    if party == ContractParty.CUSTOMER:
        back_url = reverse("orders:detail", args=[order.pk])
    else:
        back_url = reverse("matching:dashboard")
    return render(
        request,
        "orders/contract.html",
        {
            "order": order,
            "contract": contract,
            "signatures": signatures,
            "party": party,
            "form": form,
            "back_url": back_url,
        },
    )


def render_contract_pdf(contract: Contract, *, verify_url: str) -> bytes:
    """The contract as a PDF (WeasyPrint), with the Vazirmatn font for Persian."""
    from weasyprint import HTML  # heavy: import only when a PDF is asked for

    font = finders.find(FONT)
    with translation.override(contract.language):
        html = render_to_string(
            "orders/contract_pdf.html",
            {
                "contract": contract,
                "order": contract.order,
                "signatures": contract.signatures.all(),
                "font_url": Path(font).as_uri() if font else "",
                "verify_url": verify_url,
                "rtl": contract.language == "fa",
            },
        )
    return HTML(string=html).write_pdf()


@require_safe
@login_required
def contract_pdf(request, pk):
    order = _order_for_party(request, pk, staff_too=True)
    contract = _contract_of(order)
    if contract is None:
        raise Http404
    verify_url = request.build_absolute_uri(reverse("contract_verify", args=[contract.public_id]))
    pdf = render_contract_pdf(contract, verify_url=verify_url)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="contract-{order.pk}.pdf"'
    return response


@require_safe
def contract_verify(request, public_id):
    """Public: proves that the stored text is the one signed, without showing the text."""
    contract = get_object_or_404(
        Contract.objects.select_related("order__customer", "provider__user", "voided_by"),
        public_id=public_id,
    )
    stored = text_sha256(contract.text)
    signatures = [
        {"signature": signature, "valid": signature.text_sha256 == stored}
        for signature in contract.signatures.all()
    ]
    return render(
        request,
        "orders/contract_verify.html",
        {
            "contract": contract,
            "order": contract.order,
            "stored_sha256": stored,
            "text_valid": stored == contract.text_sha256,
            "signatures": signatures,
        },
    )
