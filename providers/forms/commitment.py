from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import SigningForm


class CommitmentForm(SigningForm):
    agree_label = _("I have read and agree to this commitment.")

    text = forms.IntegerField(widget=forms.HiddenInput)
