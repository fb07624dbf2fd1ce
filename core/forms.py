"""Forms every app uses."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models.signing import TYPED_NAME_MAX


class SigningForm(forms.Form):
    """An electronic signature: the signer types their full name and ticks that they agree to
    the text shown (`agree_label` names it)."""

    agree_label = _("I have read and agree to this text.")

    typed_name = forms.CharField(
        label=_("Type your full name to sign"),
        max_length=TYPED_NAME_MAX,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    agree = forms.BooleanField(
        error_messages={"required": _("Tick the box to show that you agree.")}
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agree"].label = self.agree_label
