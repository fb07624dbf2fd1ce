"""The operator's audit of an order's matching (R-MAT-1): every provider considered, the ranked
eligible ones with their score parts, why each other one was left out, and assignment by hand.
"""

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from orders.models import Order
from providers.models import Provider

from .. import scoring, selectors
from ..forms import AssignByHandForm
from ..services.assignment import ASSIGNABLE_STATUSES, assign_by_hand

AUDIT_PAGE_SIZE = 50


@staff_member_required
@permission_required("matching.audit_matching", raise_exception=True)
def candidates(request, pk):
    """Every provider considered for the order, and a form to assign one by hand."""
    order = get_object_or_404(
        Order.objects.select_related("service_type", "area", "customer", "provider__user"), pk=pk
    )
    form = AssignByHandForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        provider = get_object_or_404(Provider, pk=form.cleaned_data["provider"])
        try:
            assign_by_hand(
                order=order,
                provider=provider,
                actor=request.user,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("Order #%(number)s is assigned to %(name)s.")
                % {"number": order.pk, "name": provider},
            )
            return redirect("matching:candidates", pk=order.pk)
    page = Paginator(selectors.considered_providers(order), AUDIT_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    # Only an order still waiting for a provider is ranked or assigned by hand.
    open_for_matching = order.status in ASSIGNABLE_STATUSES
    # Ranked as matching ranks: never anyone the customer passed over (the audit rows say so).
    ranked = (
        selectors.ranked_candidates(
            order, limit=AUDIT_PAGE_SIZE, exclude_ids=selectors.passed_over_ids(order)
        )
        if open_for_matching
        else []
    )
    rows = selectors.audit_rows(order, list(page.object_list))
    return render(
        request,
        "matching/candidates.html",
        {
            "order": order,
            "ranked": ranked,
            "page": page,
            "rows": rows,
            "summary": selectors.audit_summary(rows),
            "parts": [(code, scoring.PART_LABELS[code]) for code in scoring.PARTS],
            "form": form,
            "open_for_matching": open_for_matching,
            "assignable": open_for_matching,
        },
    )
