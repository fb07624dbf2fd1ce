from django import forms
from django.utils.translation import gettext_lazy as _

from .models import FeedbackCallOutcome, FeedbackCallStatus

SCORES = [(n, str(n)) for n in range(1, 6)]


class RatingForm(forms.Form):
    attitude = forms.TypedChoiceField(
        label=_("Attitude"),
        choices=SCORES,
        coerce=int,
        widget=forms.RadioSelect,
        help_text=_("Was the provider polite and respectful?"),
    )
    result = forms.TypedChoiceField(
        label=_("Result"),
        choices=SCORES,
        coerce=int,
        widget=forms.RadioSelect,
        help_text=_("How clean is your home now?"),
    )
    compliance = forms.TypedChoiceField(
        label=_("Kept to the contract"),
        choices=SCORES,
        coerce=int,
        widget=forms.RadioSelect,
        help_text=_("On time, the agreed work, the agreed price?"),
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class FeedbackCallForm(forms.Form):
    """What the operator records after calling a provider; the rules are in the service."""

    status = forms.ChoiceField(
        label=_("The call"),
        choices=[
            (FeedbackCallStatus.DONE, _("Made: the customers' feedback was discussed")),
            (FeedbackCallStatus.UNREACHABLE, _("The provider could not be reached")),
        ],
        widget=forms.RadioSelect,
    )
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[("", "---------"), *FeedbackCallOutcome.choices],
        required=False,
    )
    notes = forms.CharField(
        label=_("What was said"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
