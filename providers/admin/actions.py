"""Vetting-console actions that ask the operator for input (a reason, a reason code, an interview
slot) before calling one lifecycle service per selected provider.

A sibling of accounts.admin_actions.action_with_reason (same page, same two-step flow) that takes
any form: its cleaned data are passed to the service as keyword arguments. A refusal is reported
with the provider's name and every reason the service gave, and that provider is left unchanged.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.template.response import TemplateResponse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.admin_actions import ReasonForm
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


BLOCKER_HTML = (
    '<span class="blocker" style="display: list-item; margin-inline-start: 1.5em">{}</span>'
)


def refusal_message(obj, error: ValidationError):
    """'<provider>: <reason>' or, with several reasons (activation blockers), a list of them."""
    reasons = error.messages
    if len(reasons) == 1:
        return format_html("{}: {}", obj, reasons[0])
    # Not <ul><li>: the admin styles every <li> of its message list as a message of its own.
    return format_html(
        "{}: {}{}",
        obj,
        _("not changed, because:"),
        format_html_join("", BLOCKER_HTML, ((reason,) for reason in reasons)),
    )


def action_with_form(*, name: str, description, service, form_class=ReasonForm):
    """An admin action calling `service(obj, actor=request.user, **form.cleaned_data)` per row.

    The first submit shows `form_class` on a page listing the selected rows; the second
    (with `apply`) validates it and applies the service to each row.
    """

    @admin.action(description=description, permissions=["change"])
    def action(modeladmin, request, queryset):
        form = form_class(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            done = 0
            for obj in queryset:
                try:
                    service(obj, actor=request.user, **form.cleaned_data)
                    done += 1
                except ValidationError as error:
                    modeladmin.message_user(request, refusal_message(obj, error), messages.ERROR)
            if done:
                modeladmin.message_user(
                    request, _("%(count)d changed.") % {"count": done}, messages.SUCCESS
                )
            return None
        return TemplateResponse(
            request,
            "admin/action_with_reason.html",
            {
                **modeladmin.admin_site.each_context(request),
                "title": description,
                "objects": queryset,
                "form": form,
                "action": name,
                "opts": modeladmin.model._meta,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )

    action.__name__ = name
    return action
