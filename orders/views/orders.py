from datetime import date

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST, require_safe

from accounts.decorators import customer_required
from core.forms import add_refusal
from ledger.selectors import customer_balance

from .. import selectors
from ..forms.booking import BookingForm, CancelForm, ClaimForm, RescheduleForm, StartTimesForm
from ..models import CompletionReport
from ..services import guarantee, lifecycle
from ..services.booking import book_order
from ..services.care import care_recipient_for
from ..services.common import OrderError


@require_safe
def home(request):
    return render(request, "home.html", {"services": selectors.bookable_service_types()})


@customer_required
def book(request):
    """Fill in the form, see the server's price, then confirm."""
    form = BookingForm(request.POST or None, customer=request.user)
    if "edit" in request.POST:
        return render(request, "orders/book.html", {"form": form})
    if request.method == "POST" and form.is_valid():
        if "confirm" in request.POST:
            try:
                order = book_order(customer=request.user, booking=form.checked)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Thank you! We are finding a provider for you."))
                return redirect("orders:detail", pk=order.pk)
        else:
            return render(
                request,
                "orders/book_confirm.html",
                {
                    "form": form,
                    "quote": form.quote,
                    "free_cancellation_hours": settings.FREE_CANCELLATION_HOURS,
                    "fee_percent": settings.LATE_CANCELLATION_FEE_PERCENT,
                },
            )
    return render(request, "orders/book.html", {"form": form})


def start_times_fragment(request):
    """The start-time <select> of the booking form, narrowed to the times someone is free
    (htmx). Until service, area, day and home area are all valid it offers the full list."""
    field = BookingForm(initial={"start": request.GET.get("start", "")})["start"]
    inputs = StartTimesForm(request.GET)
    times = inputs.available_times() if inputs.is_valid() else None
    if times is not None:
        field.field.choices = [(t.strftime("%H:%M"), t.strftime("%H:%M")) for t in times]
    return render(
        request, "orders/fragment_start_times.html", {"field": field, "no_times": times == []}
    )


book_times = customer_required(require_GET(start_times_fragment))


@customer_required
def order_list(request):
    orders = selectors.orders_for_customer(customer=request.user)
    page = Paginator(orders, 20).get_page(request.GET.get("page"))
    balance = customer_balance(customer=request.user, currency=settings.CURRENCY)
    return render(
        request,
        "orders/order_list.html",
        {"page": page, "balance": balance, "currency": settings.CURRENCY},
    )


@customer_required
def order_detail(request, pk):
    order = get_object_or_404(selectors.orders_for_customer(customer=request.user), pk=pk)
    events = order.events.select_related("actor")
    return render(
        request,
        "orders/order_detail.html",
        {
            "order": order,
            "events": events,
            "cancel_form": CancelForm(),
            # What the customer entered about the person cared for, and the provider's report.
            "care": care_recipient_for(order, request.user),
            "report": CompletionReport.objects.filter(order=order).first(),
            **_change_context(order),
        },
    )


@customer_required
@require_POST
def order_cancel(request, pk):
    order = get_object_or_404(selectors.orders_for_customer(customer=request.user), pk=pk)
    form = CancelForm(request.POST)
    if form.is_valid():
        try:
            lifecycle.cancel_order(
                order=order, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except OrderError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("The order is cancelled."))
    else:
        messages.error(request, _("Say why the order is cancelled."))
    return redirect("orders:detail", pk=order.pk)


def _change_context(order):
    """What the order page needs to offer cancelling, a new time and the guarantee."""
    return {
        "cancellation_terms": lifecycle.cancellation_terms(order),
        # Customers may move an order only within the free window; staff use the admin.
        "can_reschedule": order.status in lifecycle.RESCHEDULABLE_STATUSES
        and timezone.now() <= lifecycle.cancellation_terms(order).free_until,
        "reschedule_url": reverse("orders:reschedule", args=[order.pk]),
        "can_claim": guarantee.can_claim_guarantee(order),
        "claim_form": ClaimForm(),
        "claim": getattr(order, "guarantee_claim", None),
    }


@customer_required
def order_reschedule(request, pk):
    """Move the order to a new time: the times the provider can come first; a time they cannot
    is taken only once the customer ticked that the provider is released (R-ORD-5)."""
    order = get_object_or_404(
        selectors.orders_for_customer(customer=request.user).select_related("provider__user"),
        pk=pk,
    )
    data = request.POST if request.method == "POST" else None
    form = RescheduleForm(data, order=order, initial={"day": _day_asked(request, order)})
    if data is not None and form.is_valid():
        try:
            lifecycle.reschedule_order(order=order, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_refusal(form, error)
        else:
            messages.success(request, _("The time of your order has changed."))
            return redirect("orders:detail", pk=order.pk)
    return render(request, "orders/reschedule.html", {"order": order, "form": form})


def _day_asked(request, order):
    """The day whose times the page lists: ?day= (htmx, when the date changes), else the
    order's own day."""
    try:
        return date.fromisoformat(request.GET["day"])
    except (KeyError, ValueError):
        return timezone.localdate(order.starts_at)


@customer_required
def order_claim(request, pk):
    order = get_object_or_404(selectors.orders_for_customer(customer=request.user), pk=pk)
    form = ClaimForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            guarantee.claim_guarantee(
                order=order, customer=request.user, description=form.cleaned_data["description"]
            )
        except OrderError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Thank you. Our team will look into it and let you know."))
            return redirect("orders:detail", pk=order.pk)
    return render(request, "orders/claim.html", {"order": order, "form": form})
