"""Phone orders (R-ORD-1): an operator books for a caller, found or created by phone number.

The booking fields, their validation, the free-time check and the price are the web form's
(`BookingForm`); the order is saved by `booking.book_order` with the phone channel and the
operator as `taken_by`, together with a new caller's account in one transaction.
"""

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.models import StaffGroup

from ..forms.booking import TIME_INPUTS, BookingForm
from ..forms.phone import CallerForm
from ..models import Channel, Order
from ..services.booking import book_order
from .orders import start_times_fragment


def phone_operator_required(view):
    """Staff in the support group, or a superuser; everyone else gets 403."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        user = request.user
        allowed = user.is_staff and (
            user.is_superuser or user.groups.filter(name=StaffGroup.SUPPORT).exists()
        )
        if not allowed:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def _booking_form(data, customer):
    form = BookingForm(data, customer=customer)
    for name in TIME_INPUTS:  # the free start times, from the operator's own endpoint
        form.fields[name].widget.attrs["hx-get"] = reverse("orders:phone_times")
    return form


def _page(request, caller, booking, *, found):
    return render(
        request,
        "orders/phone/take.html",
        {"caller": caller, "booking": booking, "found": found},
    )


@phone_operator_required
def take_order(request):
    """Find the caller, fill in the booking, see the server's price, then confirm."""
    if request.method != "POST":
        return _page(request, CallerForm(), None, found=None)
    caller = CallerForm(request.POST)
    if not caller.is_valid() and caller.has_error("phone"):
        return _page(request, caller, None, found=None)
    customer = caller.customer
    if "find" in request.POST:  # the caller is known now: show the booking fields
        caller = CallerForm(initial={"phone": caller.cleaned_data["phone"].as_national})
        return _page(request, caller, _booking_form(None, customer), found=customer)
    booking = _booking_form(request.POST, customer)
    if "edit" in request.POST or not (caller.is_valid() and booking.is_valid()):
        return _page(request, caller, booking, found=customer)
    if "confirm" not in request.POST:
        return render(
            request,
            "orders/phone/confirm.html",
            {
                "caller": caller,
                "booking": booking,
                "found": customer,
                "quote": booking.quote,
                "free_cancellation_hours": settings.FREE_CANCELLATION_HOURS,
                "fee_percent": settings.LATE_CANCELLATION_FEE_PERCENT,
            },
        )
    try:
        with transaction.atomic():  # a new caller's account only with their order
            order = book_order(
                customer=caller.customer_for_order(),
                booking=booking.checked,
                channel=Channel.PHONE,
                taken_by=request.user,
            )
    except ValidationError as error:
        booking.add_error(None, error)
        return _page(request, caller, booking, found=customer)
    messages.success(request, _("Order %(number)s is booked.") % {"number": order.pk})
    return redirect("orders:phone_done", pk=order.pk)


@require_GET
@phone_operator_required
def order_taken(request, pk):
    order = get_object_or_404(
        Order.objects.select_related("customer", "service_type", "area"),
        pk=pk,
        channel=Channel.PHONE,
    )
    return render(
        request,
        "orders/phone/done.html",
        {"order": order, "admin_url": reverse("admin:orders_order_change", args=[order.pk])},
    )


# The start-time <select> narrowed to the times someone is free (htmx), for operators.
start_times = phone_operator_required(require_GET(start_times_fragment))
