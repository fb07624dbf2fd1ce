"""Signing a contract: the typed name, the agreement box, and the hash of the text shown."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import SigningForm


class ContractSignForm(SigningForm):
    agree_label = _("I have read and agree to this contract.")

    text_sha256 = forms.CharField(widget=forms.HiddenInput, max_length=64)
