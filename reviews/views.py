from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from accounts.decorators import customer_required
from orders.selectors import orders_for_customer

from . import services
from .forms import FeedbackCallForm, RatingForm
from .models import FeedbackCallStatus
from .selectors import can_rate, feedback_call_list, works_feedback_calls

CALLS_PER_PAGE = 25


@customer_required
def rate(request, order_pk):
    order = get_object_or_404(orders_for_customer(customer=request.user), pk=order_pk)
    if not can_rate(order) and request.method == "GET":
        context = {"order": order, "window_hours": settings.RATING_WINDOW_HOURS}
        return render(request, "reviews/rate_closed.html", context)
    form = RatingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.rate_order(order=order, customer=request.user, **form.cleaned_data)
        except services.RatingError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Thank you for your rating."))
            return redirect("orders:detail", pk=order.pk)
    return render(request, "reviews/rate.html", {"order": order, "form": form})


def feedback_staff_required(view):
    """Quality and support staff, or a superuser; anyone else signed in gets 403."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not works_feedback_calls(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def _call_form(call, data=None):
    return FeedbackCallForm(data, prefix=f"call-{call.pk}")


@feedback_staff_required
def staff_call_list(request):
    """The provider feedback call list operators work from (R-VET-8)."""
    page = Paginator(feedback_call_list(), CALLS_PER_PAGE).get_page(request.GET.get("page"))
    rows = [
        {"call": call, "form": None if call.status == FeedbackCallStatus.DONE else _call_form(call)}
        for call in page
    ]
    return render(request, "reviews/staff/call_list.html", {"page": page, "rows": rows})


@feedback_staff_required
def staff_call_detail(request, pk):
    call = get_object_or_404(feedback_call_list(), pk=pk)
    form = _call_form(call, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.record_feedback_call(call=call, actor=request.user, **form.cleaned_data)
        except services.FeedbackCallError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, _("The call to %(provider)s is recorded.") % {"provider": call.provider}
            )
            return redirect("reviews:staff_calls")
    return render(
        request,
        "reviews/staff/call_detail.html",
        {"row": {"call": call, "form": form}, "final": call.status == FeedbackCallStatus.DONE},
    )
