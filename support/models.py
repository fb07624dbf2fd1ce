from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import StatusEvent
from core.models.fields import reference, user_reference
from orders.models import Order


class TicketStatus(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("Being handled")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


class Ticket(models.Model):
    """A request for help, usually about one order."""

    order = reference(Order, _("order"), related_name="tickets", optional=True)
    opened_by = user_reference(_("opened by"), related_name="tickets")
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"))
    status = models.CharField(
        _("status"), max_length=20, choices=TicketStatus.choices, default=TicketStatus.OPEN
    )
    assignee = user_reference(
        _("assignee"),
        related_name="assigned_tickets",
        optional=True,
        staff_only=True,
        on_delete=models.SET_NULL,
    )
    created_at = models.DateTimeField(_("opened"), auto_now_add=True, db_index=True)
    status_changed_at = models.DateTimeField(_("status changed"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=TicketStatus.values), name="ticket_status_valid"
            ),
        ]

    def __str__(self):
        return _("Ticket #%(number)s: %(subject)s") % {"number": self.pk, "subject": self.subject}


class TicketEvent(StatusEvent):
    """Append-only audit of every ticket status change."""

    subject_field = "ticket"
    statuses = TicketStatus

    ticket = reference(Ticket, _("ticket"), related_name="events", on_delete=models.CASCADE)

    class Meta(StatusEvent.Meta):
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")
