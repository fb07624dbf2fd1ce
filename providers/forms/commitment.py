from django import forms
from django.utils.translation import gettext_lazy as _


class CommitmentForm(forms.Form):
    typed_name = forms.CharField(
        label=_("Type your full name to sign"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    agree = forms.BooleanField(
        label=_("I have read and agree to this commitment."),
        error_messages={"required": _("Tick the box to show that you agree.")},
    )
    text = forms.IntegerField(widget=forms.HiddenInput)
