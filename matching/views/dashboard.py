"""The provider's day on a phone: offers to answer, jobs to start and finish."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.decorators import provider_required
from orders.models import OrderStatus
from orders.selectors import jobs_for_provider
from orders.services.contracts import with_signature_flags

from ..models import Offer
from ..selectors import pending_offers_for
from ..services.offers import OfferError, accept_offer, decline_offer


@provider_required
def dashboard(request):
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
        accept_offer(offer=offer, provider=request.user.provider)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("Accepted. The job is in your schedule."))
    return redirect("matching:dashboard")


@provider_required
@require_POST
def offer_decline(request, pk):
    offer = _own_offer(request, pk)
    try:
        decline_offer(
            offer=offer,
            provider=request.user.provider,
            reason=request.POST.get("reason", "")[:300],
        )
    except OfferError as error:
        messages.error(request, error.messages[0])
    else:
        messages.info(request, _("Declined. We will offer the job to someone else."))
    return redirect("matching:dashboard")
