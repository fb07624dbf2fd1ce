from django import forms
from django.utils.translation import gettext_lazy as _

from ..services.appeals import APPEAL_MAX_LENGTH


class AppealForm(forms.Form):
    text = forms.CharField(
        label=_("Your appeal"),
        max_length=APPEAL_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Explain why the suspension should be lifted. You can appeal only once."),
    )
