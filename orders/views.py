from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.decorators import customer_required, provider_required

from . import selectors, services
from .forms import BookingForm, CancelForm


def home(request):
    return render(request, "home.html", {"services": selectors.bookable_service_types()})


@customer_required
def book(request):
    """Fill in the form, see the server's price, then confirm."""
    form = BookingForm(request.POST or None)
    if "edit" in request.POST:
        return render(request, "orders/book.html", {"form": form})
    if request.method == "POST" and form.is_valid():
        if "confirm" in request.POST:
            try:
                order = services.book_order(customer=request.user, request=form.booking_request())
            except services.ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Thank you! We are finding a provider for you."))
                return redirect("orders:detail", pk=order.pk)
        else:
            return render(request, "orders/book_confirm.html", {"form": form, "quote": form.quote})
    return render(request, "orders/book.html", {"form": form})


@customer_required
def order_list(request):
    orders = selectors.orders_for_customer(customer=request.user)
    page = Paginator(orders, 20).get_page(request.GET.get("page"))
    return render(request, "orders/order_list.html", {"page": page})


@customer_required
def order_detail(request, pk):
    order = get_object_or_404(selectors.orders_for_customer(customer=request.user), pk=pk)
    events = order.events.select_related("actor")
    return render(
        request,
        "orders/order_detail.html",
        {"order": order, "events": events, "cancel_form": CancelForm()},
    )


@customer_required
@require_POST
def order_cancel(request, pk):
    order = get_object_or_404(selectors.orders_for_customer(customer=request.user), pk=pk)
    form = CancelForm(request.POST)
    if form.is_valid():
        try:
            services.cancel_order(
                order=order, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except services.OrderError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("The order is cancelled."))
    else:
        messages.error(request, _("Say why the order is cancelled."))
    return redirect("orders:detail", pk=order.pk)


def _provider_job(request, pk):
    return get_object_or_404(selectors.jobs_for_provider(provider=request.user.provider), pk=pk)


@provider_required
@require_POST
def job_start(request, pk):
    order = _provider_job(request, pk)
    try:
        services.start_job(order=order, provider=request.user.provider)
    except services.OrderError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Job started. Good luck!"))
    return redirect("matching:dashboard")


@provider_required
@require_POST
def job_complete(request, pk):
    order = _provider_job(request, pk)
    try:
        services.complete_job(order=order, provider=request.user.provider)
    except services.OrderError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Job completed. The customer can now rate it."))
    return redirect("matching:dashboard")
