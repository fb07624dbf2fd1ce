"""The customer picks a provider among the recommended ones (R-MAT-2); htmx polls the list until
the matching task has prepared it. Another customer's order is a 404."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.decorators import customer_required
from orders.models import OrderStatus

from .. import requests
from ..selectors import orders_for_choosing, recommendation_cards
from ..services.recommendations import RecommendationError, matching_mode


def _choose_context(order):
    choosing = order.status == OrderStatus.REQUESTED
    cards = recommendation_cards(order) if choosing else []
    return {
        "order": order,
        "cards": cards,
        # Still waiting for the task: the page asks again every few seconds (htmx).
        "preparing": choosing and not cards and matching_mode(order) == "recommend",
    }


@customer_required
def choose(request, pk):
    """Up to three recommended providers for the customer's order."""
    order = get_object_or_404(orders_for_choosing(customer=request.user), pk=pk)
    context = _choose_context(order)
    if request.htmx:
        return render(request, "matching/fragment_recommendations.html", context)
    return render(request, "matching/choose.html", context)


@customer_required
@require_POST
def choose_provider(request, pk):
    order = get_object_or_404(orders_for_choosing(customer=request.user), pk=pk)
    try:
        provider_id = int(request.POST.get("provider", ""))
    except ValueError:
        provider_id = 0
    try:
        requests.choose_provider(order=order, provider_id=provider_id, customer=request.user)
    except RecommendationError as error:
        messages.error(request, error.messages[0])
        return redirect("matching:choose", pk=order.pk)
    messages.success(
        request, _("Thank you! We have asked them; you will get a message when they accept.")
    )
    return redirect("orders:detail", pk=order.pk)


@customer_required
@require_POST
def other_providers(request, pk):
    order = get_object_or_404(orders_for_choosing(customer=request.user), pk=pk)
    try:
        requests.ask_for_other_providers(order=order, customer=request.user)
    except RecommendationError as error:
        messages.error(request, error.messages[0])
    return redirect("matching:choose", pk=order.pk)
