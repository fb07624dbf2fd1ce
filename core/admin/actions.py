"""Admin actions that ask the operator for input (a reason, a score, a slot) before calling a
service on each selected row. One two-step flow for every app: the first submit shows a page
with the form and the rows; the second (with `apply`) validates it and runs the service."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )


# Laid out as a list by static/css/admin.css (the Content-Security-Policy refuses inline styles).
BLOCKER_HTML = '<span class="blocker">{}</span>'


def refusal_message(obj, error: ValidationError):
    """'<row>: <reason>' or, with several reasons (e.g. activation blockers), a list of them."""
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


def action_with_form(
    *,
    name: str,
    description,
    service,
    form_class=ReasonForm,
    form_gets_rows: bool = False,
    subject: str | None = None,
):
    """Build an admin action calling `service(obj, actor=user, **form.cleaned_data)` per row,
    or `service(<subject>=obj, actor=user, ...)` when the service takes the row by keyword
    (`subject="order"` for `cancel_order(*, order, actor, reason)`).

    With `form_gets_rows` the form is built as `form_class(data, objects=queryset)` (e.g. one
    score field per row). A service returning False skips its row; a row whose service raises
    ValidationError is reported with every reason given (`refusal_message`) and left
    unchanged. Only users who may change the rows get the action (support staff view orders
    only).
    """

    def call(obj, **data):
        return service(**{subject: obj}, **data) if subject else service(obj, **data)

    @admin.action(description=description, permissions=["change"])
    def action(modeladmin, request, queryset):
        data = request.POST if "apply" in request.POST else None
        form = form_class(data, objects=queryset) if form_gets_rows else form_class(data)
        if form.is_valid():
            done = 0
            for obj in queryset:
                try:
                    if call(obj, actor=request.user, **form.cleaned_data) is False:
                        continue
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
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            },
        )

    action.__name__ = name
    return action


def action_with_reason(*, name: str, description, service, subject: str | None = None):
    """The common case: ask for a reason, then call `service(obj, actor=..., reason=...)`
    (or `service(<subject>=obj, ...)`)."""
    return action_with_form(name=name, description=description, service=service, subject=subject)
