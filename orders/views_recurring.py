"""Recurring cleaning pages for customers: repeat an order (optionally signing the standing
agreement), see each series with its coming dates, pause, resume or end it."""

from django import forms
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

from . import recurring, selectors
from .models import SeriesInterval, SeriesOccurrence, SeriesStatus


class IntervalForm(forms.Form):
    interval = forms.ChoiceField(
        label=gettext_lazy("Repeat"),
        choices=SeriesInterval.choices,
        initial=SeriesInterval.WEEKLY,
        widget=forms.RadioSelect,
    )


class RepeatForm(IntervalForm):
    """Start the series; typing the full name signs the standing agreement as well."""

    typed_name = forms.CharField(
        label=gettext_lazy("Type your full name to sign the standing agreement (optional)"),
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    agree = forms.BooleanField(
        label=gettext_lazy("I have read and agree to the standing agreement."), required=False
    )
    text_sha256 = forms.CharField(widget=forms.HiddenInput, max_length=64, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["interval"].widget = forms.HiddenInput()

    def clean(self):
        data = super().clean()
        if data.get("typed_name", "").strip() and not data.get("agree"):
            self.add_error("agree", _("Tick the box to show that you agree."))
        if data.get("agree") and not data.get("typed_name", "").strip():
            self.add_error("typed_name", _("Type your full name to sign."))
        return data

    def agreement(self, request) -> recurring.AgreementSignature | None:
        if not self.cleaned_data.get("typed_name", "").strip():
            return None
        return recurring.AgreementSignature(
            typed_name=self.cleaned_data["typed_name"],
            shown_sha256=self.cleaned_data["text_sha256"],
            ip_address=request.META.get("REMOTE_ADDR"),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
        )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why?"),
        max_length=500,
        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("e.g. travelling")}),
    )


def _add_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


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
        initial={"interval": interval, "text_sha256": recurring.text_sha256(text)},
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
            _add_errors(form, error)
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
