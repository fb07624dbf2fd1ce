from django import forms
from django.utils.translation import gettext_lazy as _

from .models import FeedbackCallOutcome, FeedbackCallStatus

SCORES = [(n, str(n)) for n in range(1, 6)]


def _score(label, help_text) -> forms.TypedChoiceField:
    """A score from 1 to 5, as radio buttons."""
    return forms.TypedChoiceField(
        label=label, choices=SCORES, coerce=int, widget=forms.RadioSelect, help_text=help_text
    )


class RatingForm(forms.Form):
    attitude = _score(_("Attitude"), _("Was the provider polite and respectful?"))
    result = _score(_("Result"), _("How clean is your home now?"))
    compliance = _score(_("Kept to the contract"), _("On time, the agreed work, the agreed price?"))
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
