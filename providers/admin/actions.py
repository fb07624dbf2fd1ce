"""The forms of the vetting console's actions (a reason code, an interview slot...), used with
`core.admin.actions.action_with_form`: the form's cleaned data are passed to the service as
keyword arguments, and a refusal is reported with the provider's name and every reason the
service gave (an activation lists each missing item); that provider is left unchanged.
"""

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy

from accounts.models import StaffGroup

from ..models import RejectionReason


class RejectForm(forms.Form):
    reason_code = forms.ChoiceField(
        label=gettext_lazy("Reason"), choices=[("", "---------"), *RejectionReason.choices]
    )
    note = forms.CharField(
        label=gettext_lazy("Note"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Optional: what the applicant and the file should know."),
    )


class ConfirmForm(forms.Form):
    """For transitions whose service records its own reason: the page only confirms."""


class RemoveForm(forms.Form):
    reason_code = forms.ChoiceField(
        label=gettext_lazy("Reason from the list"),
        required=False,
        choices=[("", "---------"), *RejectionReason.choices],
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )


def interviewer_choices():
    """Active staff who may interview: the vetting group and superusers."""
    return (
        get_user_model()
        .objects.filter(is_active=True, is_staff=True)
        .filter(Q(is_superuser=True) | Q(groups__name=StaffGroup.VETTING))
        .distinct()
        .order_by("full_name")
    )


class ScheduleInterviewForm(forms.Form):
    interviewer = forms.ModelChoiceField(
        label=gettext_lazy("Interviewer"), queryset=get_user_model().objects.none()
    )
    starts_at = forms.DateTimeField(
        label=gettext_lazy("Date and time"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    location = forms.CharField(label=gettext_lazy("Place"), max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["interviewer"].queryset = interviewer_choices()
