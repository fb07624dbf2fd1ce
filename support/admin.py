from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.admin import PhoneSearchMixin, StatusEventInline, action_with_reason

from . import services
from .models import Ticket, TicketEvent
from .models import TicketStatus as S


class TicketEventInline(StatusEventInline):
    model = TicketEvent


def _status_action(name, target):
    return action_with_reason(
        name=name,
        description=S(target).label,
        service=lambda t, **kw: services.change_ticket_status(ticket=t, to=target, **kw),
    )


class TicketAddForm(forms.ModelForm):
    """A ticket an agent records for a caller (a phone call): who asked, about which order."""

    class Meta:
        model = Ticket
        fields = ("opened_by", "order", "subject", "body")
        labels = {"opened_by": _("Caller")}
        help_texts = {"opened_by": _("The customer or provider who asked for help.")}

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("opened_by") and not self.errors:
            refusal = services.ticket_refusal(
                opened_by=cleaned["opened_by"],
                subject=cleaned.get("subject", ""),
                body=cleaned.get("body", ""),
                order=cleaned.get("order"),
            )
            if refusal:
                raise forms.ValidationError(refusal)
        return cleaned


@admin.register(Ticket)
class TicketAdmin(PhoneSearchMixin, admin.ModelAdmin):
    list_display = ("id", "subject", "status", "order", "opened_by", "assignee", "created_at")
    list_filter = ("status", "created_at", "order__area")
    search_fields = ("subject", "body", "opened_by__phone", "order__customer__phone")
    list_select_related = ("order", "opened_by", "assignee")
    raw_id_fields = ("order", "opened_by")
    readonly_fields = (
        "order",
        "opened_by",
        "subject",
        "body",
        "status",
        "created_at",
        "status_changed_at",
    )
    inlines = [TicketEventInline]
    add_form = TicketAddForm

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else ()

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = self.add_form
            kwargs["fields"] = self.add_form.Meta.fields
        return super().get_form(request, obj, **kwargs)

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        ticket = services.open_ticket(
            opened_by=form.cleaned_data["opened_by"],
            order=form.cleaned_data.get("order"),
            subject=form.cleaned_data["subject"],
            body=form.cleaned_data["body"],
            recorded_by=request.user,
        )
        obj.pk, obj.created_at = ticket.pk, ticket.created_at
        return None

    actions = [
        _status_action("mark_in_progress", S.IN_PROGRESS),
        _status_action("mark_resolved", S.RESOLVED),
        _status_action("mark_closed", S.CLOSED),
    ]
