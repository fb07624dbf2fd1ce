"""The operators' batch assignment page (R-MAT-5): pick an area and a day, see the planned
assignment with its total score against greedy, then assign; a Celery task does it and the
result page shows what was offered and what was left.

Staff with the `matching.run_batch_assignment` permission (or a superuser) only; others 403.
"""

from datetime import timedelta
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import requests
from ..batch.plan import LEFT_REASONS, orders_for_batch, plan_batch, run_rows
from ..forms import BatchAssignForm, BatchForm
from ..models import BatchRun, BatchStatus
from ..services.batch import BatchError

PERMISSION = "matching.run_batch_assignment"


def batch_staff_required(view):
    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not (request.user.is_staff and request.user.has_perm(PERMISSION)):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def _left_labels() -> dict:
    return {code: _(text) for code, text in LEFT_REASONS.items()}


@batch_staff_required
def batch_page(request):
    """The form; with an area and a day, the preview of the planned assignment."""
    tomorrow = timezone.localdate() + timedelta(days=1)
    form = BatchForm(request.GET or None, initial={"day": tomorrow})
    context = {"form": form, "plan": None}
    if form.is_bound and form.is_valid():
        area, day = form.cleaned_data["area"], form.cleaned_data["day"]
        orders = list(orders_for_batch(area=area, day=day))
        plan = plan_batch(orders, with_providers=True) if orders else None
        context.update(
            plan=plan,
            orders=orders,
            left_labels=_left_labels(),
            assign_form=BatchAssignForm(initial={"area": area, "day": day}),
        )
    return render(request, "matching/batch/page.html", context)


@batch_staff_required
@require_POST
def batch_assign(request):
    form = BatchAssignForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose an area and a day, and say why."))
        return redirect("matching:batch")
    try:
        run = requests.request_batch(
            area=form.cleaned_data["area"],
            day=form.cleaned_data["day"],
            actor=request.user,
            reason=form.cleaned_data["reason"],
        )
    except BatchError as error:
        messages.error(request, error.messages[0])
        return redirect("matching:batch")
    messages.info(request, _("The batch is queued; this page shows its result."))
    return redirect("matching:batch_result", pk=run.pk)


@batch_staff_required
def batch_result(request, pk):
    run = get_object_or_404(BatchRun.objects.select_related("area", "requested_by"), pk=pk)
    template = (
        "matching/batch/fragment_result.html" if request.htmx else "matching/batch/result.html"
    )
    return render(
        request,
        template,
        {
            "run": run,
            "pending": run.status == BatchStatus.PENDING,
            "left_labels": _left_labels(),
            **run_rows(run),
        },
    )
