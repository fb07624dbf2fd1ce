from django import forms
from django.utils.translation import gettext_lazy as _

from providers.models import ServiceArea


class AssignByHandForm(forms.Form):
    provider = forms.IntegerField(label=_("Provider"), min_value=1, widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Kept in the order's timeline."),
    )


class BatchForm(forms.Form):
    """The batch page's choice: an area and a day."""

    area = forms.ModelChoiceField(
        label=_("Area"), queryset=ServiceArea.objects.filter(is_active=True)
    )
    day = forms.DateField(label=_("Day"), widget=forms.DateInput(attrs={"type": "date"}))


class BatchAssignForm(BatchForm):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Recorded with the batch, e.g. “tomorrow's open orders”."),
    )
