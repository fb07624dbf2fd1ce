"""Recurring cleaning pages for customers: repeat an order (optionally signing the standing
agreement), see each series with its coming dates, pause, resume or end it."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.decorators import customer_required
from core.forms import add_refusal
from core.signing import text_sha256

from .. import selectors
from ..forms.recurring import IntervalForm, ReasonForm, RepeatForm
from ..models import SeriesInterval, SeriesOccurrence, SeriesStatus
from ..services import recurring


@customer_required
def repeat_order(request, pk):
    """Step 2 of "Repeat this cleaning": the dates, the standing agreement, and confirm."""
    order = get_object_or_404(selectors.orders_for_customer(customer=request.user), pk=pk)
    refusal = recurring.repeat_refusal(order)
    if refusal:
        messages.error(request, refusal)
        return redirect("orders:detail", pk=order.pk)
    choice = IntervalForm(request.POST or request.GET or None)
    interval = choice.cleaned_data["interval"] if choice.is_valid() else SeriesInterval.WEEKLY
    text = recurring.render_agreement(
        order=order, interval=interval, language=recurring.customer_language(request.user)
    )
    form = RepeatForm(
        request.POST if request.method == "POST" else None,
        initial={"interval": interval, "text_sha256": text_sha256(text)},
    )
    if request.method == "POST" and form.is_valid():
        try:
            recurring.start_series(
                order=order,
                actor=request.user,
                interval=form.cleaned_data["interval"],
                agreement=form.agreement(request),
            )
        except ValidationError as error:
            add_refusal(form, error)
        else:
            messages.success(
                request, _("Your cleaning will repeat. We book each visit ahead and tell you.")
            )
            return redirect("orders:series_list")
    return render(
        request,
        "orders/recurring/repeat.html",
        {
            "order": order,
            "form": form,
            "interval": SeriesInterval(interval),
            "first_on": recurring.first_repeat_on(order, interval),
            "start_time": timezone.localtime(order.starts_at).time(),
            "agreement_text": text,
        },
    )


@customer_required
def series_list(request):
    today = timezone.localdate()
    coming = SeriesOccurrence.objects.filter(occurs_on__gte=today).select_related("order")
    series = recurring.series_for_customer(customer=request.user).prefetch_related(
        Prefetch("occurrences", queryset=coming, to_attr="coming")
    )
    return render(
        request,
        "orders/recurring/series_list.html",
        {"series_list": series, "statuses": SeriesStatus},
    )


CHANGES = {
    "pause": (recurring.pause_series, gettext_lazy("Your recurring cleaning is paused.")),
    "resume": (recurring.resume_series, gettext_lazy("Your recurring cleaning goes on.")),
    "end": (recurring.end_series, gettext_lazy("Your recurring cleaning has ended.")),
}


@customer_required
@require_POST
def series_change(request, pk, action):
    if action not in CHANGES:
        raise Http404
    series = get_object_or_404(recurring.series_for_customer(customer=request.user), pk=pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why."))
        return redirect("orders:series_list")
    change, done = CHANGES[action]
    try:
        change(series=series, actor=request.user, reason=form.cleaned_data["reason"])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, done)
    return redirect("orders:series_list")
