"""The provider's job page and its actions (R-ORD-6): on the way, arrival check-in, start,
completion with a report. Only the assigned provider finds the job; for anyone else it is a 404.

Each action redirects to the page named by a local `next` field (the job page posts its own
address), or to the provider's dashboard.
"""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.decorators import provider_required

from .. import selectors
from ..forms.jobs import CheckInForm, CompletionForm
from ..models import ArrivalCheckIn, CompletionReport, ContractParty
from ..models import OrderStatus as S
from ..services import execution, lifecycle
from ..services.care import care_recipient_for
from ..services.common import OrderError
from ..services.contracts import current_contract, signed_parties


def _provider_job(request, pk):
    return get_object_or_404(selectors.jobs_for_provider(provider=request.user.provider), pk=pk)


def _back(request, order):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("matching:dashboard")


def _page(request, order, *, check_in_form=None, completion_form=None, status=200):
    contract = current_contract(order)
    parties = signed_parties(contract) if contract else set()
    fully_signed = {ContractParty.CUSTOMER, ContractParty.PROVIDER} <= parties
    check_in = ArrivalCheckIn.objects.filter(order=order).first()
    opens, closes = execution.check_in_window(order)
    now = timezone.now()
    context = {
        "order": order,
        "care": care_recipient_for(order, request.user),
        "options": execution.booked_options(order),
        "contract": contract,
        "customer_signed": ContractParty.CUSTOMER in parties,
        "provider_signed": ContractParty.PROVIDER in parties,
        "fully_signed": fully_signed,
        "check_in": check_in,
        "check_in_opens": opens,
        "check_in_open": order.status == S.CONFIRMED
        and fully_signed
        and check_in is None
        and opens <= now <= closes,
        "check_in_closed": now > closes,
        "is_today": timezone.localdate(order.starts_at) == timezone.localdate(),
        "report": CompletionReport.objects.filter(order=order).first(),
        "check_in_form": check_in_form or CheckInForm(order=order),
        "completion_form": completion_form or CompletionForm(order=order),
    }
    return render(request, "orders/jobs/job_detail.html", context, status=status)


@provider_required
def job_detail(request, pk):
    return _page(request, _provider_job(request, pk))


def _run(request, service, done: str, **kwargs) -> None:
    """Call the service for the signed-in provider; say how it went."""
    try:
        service(provider=request.user.provider, **kwargs)
    except OrderError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done)


@provider_required
@require_POST
def job_check_in(request, pk):
    order = _provider_job(request, pk)
    form = CheckInForm(request.POST, order=order)
    if not form.is_valid():
        return _page(request, order, check_in_form=form, status=400)
    _run(
        request,
        execution.check_in,
        _("Checked in. You can start the job now."),
        order=order,
        confirmed_items=form.confirmed_items(),
        differences=form.cleaned_data["differences"],
    )
    return redirect("orders:job_detail", pk=order.pk)


@provider_required
@require_POST
def job_start(request, pk):
    order = _provider_job(request, pk)
    _run(request, lifecycle.start_job, _("Job started. Good luck!"), order=order)
    return _back(request, order)


@provider_required
@require_POST
def job_complete(request, pk):
    order = _provider_job(request, pk)
    form = CompletionForm(request.POST, order=order)
    if not form.is_valid():
        return _page(request, order, completion_form=form, status=400)
    _run(
        request,
        lifecycle.complete_job,
        _("Job completed. The customer can now rate it."),
        order=order,
        summary=form.cleaned_data["summary"],
        options_done=form.options_done(),
    )
    return _back(request, order)


@provider_required
@require_POST
def job_on_the_way(request, pk):
    order = _provider_job(request, pk)
    _run(
        request,
        lifecycle.announce_departure,
        _("The customer has been told that you are on the way."),
        order=order,
    )
    return _back(request, order)
