"""The customer's recurring cleaning forms: repeat an order (optionally signing the standing
agreement), and the reason for pausing, resuming or ending a series."""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.throttle import client_ip

from ..models import SeriesInterval
from ..services.recurring import AgreementSignature


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

    def agreement(self, request) -> AgreementSignature | None:
        if not self.cleaned_data.get("typed_name", "").strip():
            return None
        return AgreementSignature(
            typed_name=self.cleaned_data["typed_name"],
            shown_sha256=self.cleaned_data["text_sha256"],
            ip_address=client_ip(request) or None,
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
        )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why?"),
        max_length=500,
        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("e.g. travelling")}),
    )
