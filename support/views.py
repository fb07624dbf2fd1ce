from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from accounts.decorators import customer_required
from orders.selectors import orders_for_customer

from . import services
from .forms import TicketForm
from .selectors import tickets_for_user


@customer_required
def new_ticket_for_order(request, order_pk):
    order = get_object_or_404(orders_for_customer(customer=request.user), pk=order_pk)
    form = TicketForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            ticket = services.open_ticket(opened_by=request.user, order=order, **form.cleaned_data)
        except services.TicketError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Your ticket is open. Our team will answer soon."))
            return redirect("support:detail", pk=ticket.pk)
    return render(request, "support/ticket_new.html", {"form": form, "order": order})


@login_required
def ticket_list(request):
    page = Paginator(tickets_for_user(user=request.user), 20).get_page(request.GET.get("page"))
    return render(request, "support/ticket_list.html", {"page": page})


@login_required
def ticket_detail(request, pk):
    ticket = get_object_or_404(tickets_for_user(user=request.user), pk=pk)
    return render(
        request,
        "support/ticket_detail.html",
        {"ticket": ticket, "events": ticket.events.select_related("actor")},
    )
