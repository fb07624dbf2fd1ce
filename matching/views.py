from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.decorators import customer_required, provider_required
from orders.models import Order, OrderStatus
from orders.selectors import jobs_for_provider
from orders.services.contracts import with_signature_flags
from providers.models import Provider

from . import selectors, services
from .forms import AssignByHandForm
from .models import Offer
from .selectors import pending_offers_for


@provider_required
def dashboard(request):
    """The provider's day on a phone: offers to answer, jobs to start and finish."""
    provider = request.user.provider
    if provider.vetting_completed_at is None:
        # Applicants have no jobs yet: their page is the application's status.
        return redirect("providers:application")
    jobs = jobs_for_provider(provider=provider)
    context = {
        "provider": provider,
        "offers": pending_offers_for(provider=provider),
        "upcoming": with_signature_flags(jobs.filter(status=OrderStatus.CONFIRMED)).order_by(
            "starts_at"
        ),
        "in_progress": jobs.filter(status=OrderStatus.IN_PROGRESS).order_by("starts_at"),
        "recent": jobs.filter(status=OrderStatus.COMPLETED).order_by("-completed_at")[:10],
        "now": timezone.now(),
    }
    return render(request, "matching/dashboard.html", context)


def _own_offer(request, pk):
    # Another provider's offer is not found, rather than forbidden: its existence is private.
    return get_object_or_404(Offer, pk=pk, provider=request.user.provider)


@provider_required
@require_POST
def offer_accept(request, pk):
    offer = _own_offer(request, pk)
    try:
        services.accept_offer(offer=offer, provider=request.user.provider)
    except services.ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("Accepted. The job is in your schedule."))
    return redirect("matching:dashboard")


@provider_required
@require_POST
def offer_decline(request, pk):
    offer = _own_offer(request, pk)
    try:
        services.decline_offer(
            offer=offer,
            provider=request.user.provider,
            reason=request.POST.get("reason", "")[:300],
        )
    except services.OfferError as error:
        messages.error(request, error.messages[0])
    else:
        messages.info(request, _("Declined. We will offer the job to someone else."))
    return redirect("matching:dashboard")


# The customer picks a provider (R-MAT-2) ------------------------------------------------------


def _choose_context(order):
    choosing = order.status == OrderStatus.REQUESTED
    cards = selectors.recommendation_cards(order) if choosing else []
    return {
        "order": order,
        "cards": cards,
        # Still waiting for the task: the page asks again every few seconds (htmx).
        "preparing": choosing and not cards and services.matching_mode(order) == "recommend",
    }


@customer_required
def choose(request, pk):
    """Up to three recommended providers for the customer's order; htmx polls the list until
    the matching task has prepared it. Another customer's order is a 404."""
    order = get_object_or_404(selectors.orders_for_choosing(customer=request.user), pk=pk)
    context = _choose_context(order)
    if request.htmx:
        return render(request, "matching/fragment_recommendations.html", context)
    return render(request, "matching/choose.html", context)


@customer_required
@require_POST
def choose_provider(request, pk):
    order = get_object_or_404(selectors.orders_for_choosing(customer=request.user), pk=pk)
    try:
        provider_id = int(request.POST.get("provider", ""))
    except ValueError:
        provider_id = 0
    try:
        services.choose_provider(order=order, provider_id=provider_id, customer=request.user)
    except services.RecommendationError as error:
        messages.error(request, error.messages[0])
        return redirect("matching:choose", pk=order.pk)
    messages.success(
        request, _("Thank you! We have asked them; you will get a message when they accept.")
    )
    return redirect("orders:detail", pk=order.pk)


@customer_required
@require_POST
def other_providers(request, pk):
    order = get_object_or_404(selectors.orders_for_choosing(customer=request.user), pk=pk)
    try:
        services.ask_for_other_providers(order=order, customer=request.user)
    except services.RecommendationError as error:
        messages.error(request, error.messages[0])
    return redirect("matching:choose", pk=order.pk)


# The operator's audit and assignment by hand -------------------------------------------------

AUDIT_PAGE_SIZE = 50


@staff_member_required
@permission_required("matching.audit_matching", raise_exception=True)
def candidates(request, pk):
    """Every provider considered for the order: the ranked eligible ones with their score
    parts, and why each of the others was left out; a form to assign one by hand."""
    order = get_object_or_404(
        Order.objects.select_related("service_type", "area", "customer", "provider__user"), pk=pk
    )
    form = AssignByHandForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        provider = get_object_or_404(Provider, pk=form.cleaned_data["provider"])
        try:
            services.assign_by_hand(
                order=order,
                provider=provider,
                actor=request.user,
                reason=form.cleaned_data["reason"],
            )
        except services.ValidationError as error:
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
    open_for_matching = order.status in (
        OrderStatus.REQUESTED,
        OrderStatus.OFFERED,
        OrderStatus.NO_PROVIDER,
    )
    ranked = selectors.ranked_candidates(order, limit=AUDIT_PAGE_SIZE) if open_for_matching else []
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
            "parts": [
                (code, selectors.scoring.PART_LABELS[code]) for code in selectors.scoring.PARTS
            ],
            "form": form,
            "open_for_matching": open_for_matching,
            "assignable": open_for_matching,
        },
    )
