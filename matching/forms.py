from django import forms
from django.utils.translation import gettext_lazy as _


class AssignByHandForm(forms.Form):
    provider = forms.IntegerField(label=_("Provider"), min_value=1, widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Kept in the order's timeline."),
    )
