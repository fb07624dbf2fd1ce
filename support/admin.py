from django.contrib import admin

from core.admin import StatusEventInline, action_with_reason

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


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
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
    actions = [
        _status_action("mark_in_progress", S.IN_PROGRESS),
        _status_action("mark_resolved", S.RESOLVED),
        _status_action("mark_closed", S.CLOSED),
    ]
