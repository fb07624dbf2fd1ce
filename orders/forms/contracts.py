"""Signing a contract: the typed name, the agreement box, and the hash of the text shown."""

from django import forms
from django.utils.translation import gettext_lazy


class ContractSignForm(forms.Form):
    typed_name = forms.CharField(
        label=gettext_lazy("Type your full name to sign"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    agree = forms.BooleanField(
        label=gettext_lazy("I have read and agree to this contract."),
        error_messages={"required": gettext_lazy("Tick the box to show that you agree.")},
    )
    text_sha256 = forms.CharField(widget=forms.HiddenInput, max_length=64)
