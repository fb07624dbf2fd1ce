"""Admin actions that ask the operator for input (a reason, a score, a slot) before calling a
service on each selected row. One two-step flow for every app: the first submit shows a page
with the form and the rows; the second (with `apply`) validates it and runs the service."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )


def plain_refusal(obj, error: ValidationError) -> str:
    return f"{obj}: {' '.join(error.messages)}"


def action_with_form(
    *,
    name: str,
    description,
    service,
    form_class=ReasonForm,
    form_gets_rows: bool = False,
    describe_refusal=plain_refusal,
):
    """Build an admin action calling `service(obj, actor=user, **form.cleaned_data)` per row.

    With `form_gets_rows` the form is built as `form_class(data, objects=queryset)` (e.g. one
    score field per row). A service returning False skips its row; a row whose service raises
    ValidationError is reported with `describe_refusal` and left unchanged. Only users who may
    change the rows get the action (support staff view orders only).
    """

    @admin.action(description=description, permissions=["change"])
    def action(modeladmin, request, queryset):
        data = request.POST if "apply" in request.POST else None
        form = form_class(data, objects=queryset) if form_gets_rows else form_class(data)
        if form.is_valid():
            done = 0
            for obj in queryset:
                try:
                    if service(obj, actor=request.user, **form.cleaned_data) is False:
                        continue
                    done += 1
                except ValidationError as error:
                    modeladmin.message_user(request, describe_refusal(obj, error), messages.ERROR)
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


def action_with_reason(*, name: str, description, service):
    """The common case: ask for a reason, then call `service(obj, actor=..., reason=...)`."""
    return action_with_form(name=name, description=description, service=service)
