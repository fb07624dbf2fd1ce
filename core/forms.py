"""Forms every app uses."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models.signing import TYPED_NAME_MAX
from .throttle import Limited


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


def add_refusal(form: forms.BaseForm, error: ValidationError) -> None:
    """Show a service's refusal on the form that asked: each message by the field it names
    (above the form when the form has no such field), a message naming no field above it."""
    if hasattr(error, "error_dict"):
        for name, messages in error.message_dict.items():
            form.add_error(name if name in form.fields else None, messages)
    else:
        form.add_error(None, error)


def limited_response(response, form: forms.BaseForm):
    """A form refused by a limit (core.throttle.Limited) answers 429 with Retry-After."""
    refusal = next(
        (error for error in form.errors.as_data().get("__all__", []) if isinstance(error, Limited)),
        None,
    )
    if refusal is not None:
        response.status_code = 429
        response["Retry-After"] = str(refusal.retry_after)
    return response
