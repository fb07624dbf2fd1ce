"""Admin actions that ask the operator for a reason before calling a service on each row."""

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


def action_with_reason(*, name: str, description, service):
    """Build an admin action calling `service(obj, actor=..., reason=...)` for each selected row.

    The first submit shows a page asking for the reason; the second applies it. Rows a service
    refuses are reported by name and left unchanged.
    """

    # Only those who may change the rows get the action (support staff view orders only).
    @admin.action(description=description, permissions=["change"])
    def action(modeladmin, request, queryset):
        form = ReasonForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            done, refused = 0, []
            for obj in queryset:
                try:
                    service(obj, actor=request.user, reason=form.cleaned_data["reason"])
                    done += 1
                except ValidationError as error:
                    refused.append(f"{obj}: {' '.join(error.messages)}")
            if done:
                modeladmin.message_user(
                    request, _("%(count)d changed.") % {"count": done}, messages.SUCCESS
                )
            for line in refused:
                modeladmin.message_user(request, line, messages.ERROR)
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
