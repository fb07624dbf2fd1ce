from django.conf import settings
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from accounts.decorators import customer_required
from orders.selectors import orders_for_customer

from . import services
from .forms import RatingForm
from .selectors import can_rate


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
